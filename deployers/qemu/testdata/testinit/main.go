// Command testinit is a stand-in /init for the qemu deployer's tests: built
// with -ldflags "-X main.mode=<mode>" it exits at once ("exit"), sleeps
// forever without serving ("sleep") or, like the VM adapter, mounts /proc,
// prints the marker lines and serves /healthz on :8080 ("serve").
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
)

var mode = "serve"

func main() {
	switch mode {
	case "exit":
		fmt.Println("testinit: exiting")
		os.Exit(0)
	case "sleep":
		fmt.Println("testinit: sleeping")
		for {
			time.Sleep(time.Hour)
		}
	}
	_ = syscall.Mount("proc", "/proc", "proc", 0, "")
	up, _ := os.ReadFile("/proc/uptime")
	fmt.Printf("computeladder-vm: started pid=%d uptime=%s\n", os.Getpid(), strings.Fields(string(up) + " ?")[0])
	ln, err := net.Listen("tcp", ":8080")
	if err != nil {
		fmt.Println("testinit:", err)
		os.Exit(1)
	}
	fmt.Printf("computeladder-vm: listening addr=%s\n", ln.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	_ = http.Serve(ln, mux)
}
