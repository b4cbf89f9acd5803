package app

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"strconv"

	"golang.org/x/image/draw"
)

// Limits of POST /thumbnail. The pixel and decoded-size limits are checked
// on the image header, before decoding, so that a small compressed file
// that expands to gigabytes (a decompression bomb) is refused cheaply; they
// also keep one decode within the memory of a 256 MB VM or a small function.
const (
	MaxImageBytes      = 5 << 20    // request body
	MaxThumbnailWidth  = 1024       // the width parameter is 1..this
	MaxImagePixels     = 16_000_000 // source width × height
	MaxDecodedBytes    = 64 << 20   // source pixels × bytes per pixel of its color model
	MaxThumbnailHeight = 4096       // keeps extreme aspect ratios bounded
)

// thumbLimits are the limits one Thumbnail call enforces; tests and the
// fuzzer shrink them to exercise the checks cheaply.
type thumbLimits struct {
	bytes, pixels, decoded int64
}

var defaultThumbLimits = thumbLimits{bytes: MaxImageBytes, pixels: MaxImagePixels, decoded: MaxDecodedBytes}

// Thumbnail reads a PNG or JPEG of at most MaxImageBytes from r and returns
// it as a PNG width pixels wide (1..MaxThumbnailWidth), keeping the aspect
// ratio (height rounded half up, at least 1). Every problem is an *Error:
// 400 for the width, 413 for the size, 415 for a format that is neither PNG
// nor JPEG, 422 for a corrupt image or one beyond the pixel limits.
func Thumbnail(r io.Reader, width int) ([]byte, error) {
	return defaultThumbLimits.thumbnail(r, width)
}

func (l thumbLimits) thumbnail(r io.Reader, width int) ([]byte, error) {
	if width < 1 || width > MaxThumbnailWidth {
		return nil, badWidth(strconv.Itoa(width))
	}
	b, err := readLimited(r, l.bytes)
	if err != nil {
		return nil, err
	}
	decodeConfig, decode, err := sniffImage(b)
	if err != nil {
		return nil, err
	}
	cfg, err := decodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, CodeInvalidImage, "cannot read the image header: %v; send a valid PNG or JPEG", err)
	}
	height, err := l.check(cfg, width)
	if err != nil {
		return nil, err
	}
	src, err := decode(bytes.NewReader(b))
	if err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, CodeInvalidImage, "cannot decode the image: %v; send a valid PNG or JPEG", err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	// BiLinear widens its kernel when shrinking, so it averages the source
	// pixels instead of skipping them (no aliasing), at a fraction of the
	// cost of CatmullRom.
	draw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	var out bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&out, dst); err != nil {
		return nil, errorf(http.StatusInternalServerError, CodeInternal, "encode the thumbnail: %v", err)
	}
	return out.Bytes(), nil
}

// sniffImage picks the decoder by magic number rather than by the global
// image registry, so that no other registered format (GIF, WebP...) is
// accepted by accident.
func sniffImage(b []byte) (func(io.Reader) (image.Config, error), func(io.Reader) (image.Image, error), error) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return png.DecodeConfig, png.Decode, nil
	case bytes.HasPrefix(b, []byte("\xff\xd8")):
		return jpeg.DecodeConfig, jpeg.Decode, nil
	}
	return nil, nil, errorf(http.StatusUnsupportedMediaType, CodeUnsupportedImage,
		"the body is neither a PNG nor a JPEG image; send one of those")
}

// check refuses an image whose header promises too much, and returns the
// thumbnail's height.
func (l thumbLimits) check(cfg image.Config, width int) (int, error) {
	w, h := int64(cfg.Width), int64(cfg.Height)
	if w <= 0 || h <= 0 {
		return 0, errorf(http.StatusUnprocessableEntity, CodeInvalidImage, "the image is %d×%d pixels; send a non-empty image", w, h)
	}
	pixels := w * h // each ≤ 2^31, so no overflow
	if pixels > l.pixels || pixels > l.decoded/bytesPerPixel(cfg.ColorModel) {
		return 0, errorf(http.StatusUnprocessableEntity, CodeTooManyPixels,
			"the image is %d×%d pixels; at most %d pixels (%d MiB decoded) are accepted; send a smaller image",
			w, h, l.pixels, l.decoded>>20)
	}
	height := (h*int64(width)*2 + w) / (2 * w) // h×width/w rounded half up
	height = max(height, 1)
	if height > MaxThumbnailHeight {
		return 0, errorf(http.StatusUnprocessableEntity, CodeThumbnailTooLarge,
			"a %d pixels wide thumbnail of a %d×%d image would be %d pixels tall; at most %d; ask for a smaller width",
			width, w, h, height, MaxThumbnailHeight)
	}
	return int(height), nil
}

// bytesPerPixel is what the standard decoders allocate per pixel for a
// color model (YCbCr counted as 4:4:4, its largest layout).
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

func badWidth(got string) *Error {
	return errorf(http.StatusBadRequest, CodeInvalidWidth,
		"width is %q; pass ?width=N with N from 1 to %d", truncate(got, 20), MaxThumbnailWidth)
}

func (s *server) thumbnail(w http.ResponseWriter, r *http.Request) {
	// curl and Go's client send no or generic types for binary bodies, so
	// the format is sniffed; only a type that names something else is refused.
	if r.Header.Get("Content-Type") != "" {
		if err := requireMediaType(r, "image/png", "image/jpeg", "application/octet-stream"); err != nil {
			writeError(w, err)
			return
		}
	}
	raw := r.URL.Query().Get("width")
	width, err := strconv.Atoi(raw)
	if err != nil || width < 1 || width > MaxThumbnailWidth {
		writeError(w, badWidth(raw))
		return
	}
	body, err := limitBody(w, r, MaxImageBytes)
	if err != nil {
		writeError(w, err)
		return
	}
	out, err := Thumbnail(body, width)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}
