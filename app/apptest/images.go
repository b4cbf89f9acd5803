package apptest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// Image returns a w×h gradient encoded as format "png" or "jpeg", built in
// code so the table needs no fixture files.
func Image(format string, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 4), 128, 255})
		}
	}
	var b bytes.Buffer
	if format == "jpeg" {
		_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}) // cannot fail on a bytes.Buffer
	} else {
		_ = png.Encode(&b, img)
	}
	return b.Bytes()
}

// PNGHeader returns a PNG signature and header chunk claiming w×h RGBA
// pixels, without any pixel data: a decompression bomb's first bytes.
func PNGHeader(w, h uint32) []byte {
	chunk := make([]byte, 4, 17)
	copy(chunk, "IHDR")
	chunk = binary.BigEndian.AppendUint32(chunk, w)
	chunk = binary.BigEndian.AppendUint32(chunk, h)
	chunk = append(chunk, 8, 6, 0, 0, 0) // depth 8, RGBA, no interlace
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, uint32(len(chunk)-4))
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}
