// Package artifact builds the deployable artifacts of the app from its
// adapters: the VM binary (with its systemd unit), the Lambda bootstrap and
// function.zip, and a FROM-scratch container build context. Builds are
// reproducible: static, -trimpath, no build id, fixed zip timestamps.
package artifact

// Set is the artifacts of one build, for one architecture. Paths are absolute.
type Set struct {
	Arch string `json:"arch"` // GOARCH: amd64 or arm64

	// VMBinary is the VM adapter: a static binary that serves HTTP on PORT
	// and can run as PID 1 (/init) of a microVM.
	VMBinary string `json:"vm_binary"`
	// VMUnit is the systemd unit file that runs VMBinary on a cloud VM.
	VMUnit string `json:"vm_unit"`

	// Bootstrap is the Lambda adapter built for provided.al2023 (lambda.norpc).
	Bootstrap string `json:"bootstrap"`
	// FunctionZip is function.zip with bootstrap at its root.
	FunctionZip string `json:"function_zip"`

	// ContainerContext is a Docker build context directory whose Dockerfile
	// is FROM scratch, runs as a non-root user and exposes the app port.
	ContainerContext string `json:"container_context"`
}
