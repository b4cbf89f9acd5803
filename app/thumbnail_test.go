package app

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// testImage encodes a w×h gradient as "png" or "jpeg".
func testImage(t testing.TB, format string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	}
	if err != nil {
		t.Fatalf("encode %s: %v", format, err)
	}
	return b.Bytes()
}

// pngHeader is a PNG whose header claims w×h but that holds no pixels:
// the shape of a decompression bomb, for free.
func pngHeader(w, h uint32, colorType, depth byte) []byte {
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, colorType
	chunk := append([]byte("IHDR"), ihdr[:]...)
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestThumbnail(t *testing.T) {
	tests := []struct {
		name, format       string
		w, h, width, wantH int
	}{
		{"png shrink", "png", 64, 48, 32, 24},
		{"jpeg shrink", "jpeg", 80, 60, 40, 30},
		{"height rounds half up", "png", 4, 3, 2, 2}, // 1.5 → 2
		{"height rounds down", "png", 10, 3, 4, 1},   // 1.2 → 1
		{"height at least 1", "png", 100, 1, 10, 1},  // 0.1 → 1
		{"upscale", "jpeg", 16, 8, 64, 32},
		{"max width", "png", 8, 8, MaxThumbnailWidth, MaxThumbnailWidth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Thumbnail(bytes.NewReader(testImage(t, tt.format, tt.w, tt.h)), tt.width)
			if err != nil {
				t.Fatalf("Thumbnail: %v", err)
			}
			img, err := png.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("result is not a PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tt.width || b.Dy() != tt.wantH {
				t.Errorf("thumbnail is %d×%d, want %d×%d", b.Dx(), b.Dy(), tt.width, tt.wantH)
			}
		})
	}
}

func TestThumbnailKeepsColour(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for i := range img.Pix {
		img.Pix[i] = []byte{200, 30, 60, 255}[i%4]
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	out, err := Thumbnail(&b, 10)
	if err != nil {
		t.Fatalf("Thumbnail: %v", err)
	}
	th, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, bl, a := th.At(5, 2).RGBA(); r>>8 != 200 || g>>8 != 30 || bl>>8 != 60 || a>>8 != 255 {
		t.Errorf("pixel = %d %d %d %d, want 200 30 60 255", r>>8, g>>8, bl>>8, a>>8)
	}
}

func TestThumbnailErrors(t *testing.T) {
	small := testImage(t, "png", 8, 8)
	tests := []struct {
		name   string
		body   []byte
		width  int
		status int
		code   string
	}{
		{"width 0", small, 0, 400, CodeInvalidWidth},
		{"width too big", small, MaxThumbnailWidth + 1, 400, CodeInvalidWidth},
		{"not an image", []byte("hello, world"), 10, 415, CodeUnsupportedImage},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), 10, 415, CodeUnsupportedImage},
		{"empty", nil, 10, 415, CodeUnsupportedImage},
		{"truncated png", small[:len(small)/2], 4, 422, CodeInvalidImage},
		{"truncated jpeg", testImage(t, "jpeg", 32, 32)[:200], 4, 422, CodeInvalidImage},
		{"png header only", pngHeader(8, 8, 6, 8), 4, 422, CodeInvalidImage},
		{"zero width png", pngHeader(0, 8, 6, 8), 4, 422, CodeInvalidImage},
		{"bomb: too many pixels", pngHeader(50000, 50000, 6, 8), 4, 422, CodeTooManyPixels},
		{"bomb: 16-bit over the decoded budget", pngHeader(4000, 3000, 6, 16), 4, 422, CodeTooManyPixels}, // 12 MP × 8 B
		{"too tall", pngHeader(1, 10000, 0, 8), 1024, 422, CodeThumbnailTooLarge},
		{"too large", append(bytes.Clone(small), make([]byte, MaxImageBytes)...), 4, 413, CodeBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Thumbnail(bytes.NewReader(tt.body), tt.width)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Thumbnail error = %v, want *Error", err)
			}
			if e.Status != tt.status || e.Code != tt.code {
				t.Errorf("got %d %s (%s), want %d %s", e.Status, e.Code, e.Message, tt.status, tt.code)
			}
		})
	}
}

func TestThumbnailGrayWithinBudget(t *testing.T) {
	// 8-bit gray costs 1 byte a pixel: 12 MP passes the header checks that
	// refuse the same size at 16 bits per channel RGBA, and fails decoding
	// only because the file holds no pixels.
	_, err := Thumbnail(bytes.NewReader(pngHeader(4000, 3000, 0, 8)), 4)
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != CodeInvalidImage {
		t.Fatalf("error = %v, want invalid_image (past the pixel checks)", err)
	}
	if !strings.Contains(err.Error(), "decode") {
		t.Errorf("error %q should come from decoding", err)
	}
}
