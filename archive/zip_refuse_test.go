package archive

import (
	"strings"
	"testing"

	lambda "github.com/lambdahq/lambda"
)

// TestFromZipRefusesWhatExtractWould: names and links Extract refuses
// are refused by FromZip, while the Lambda API still answers the request.
// They were converted, CreateFunction answered Pending, and the build
// failed later (a 5,000-byte name twice in the function's StateReason).
func TestFromZipRefusesWhatExtractWould(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"climbing name":             {"../../tmp/slip": "x"},
		"absolute name":             {"/etc/abs": "x"},
		"link to an absolute path":  {"etc@": "/etc"},
		"link out of the directory": {"d/l@": "../../x"},
		"long name component":       {strings.Repeat("a", 5000): "x"},
	} {
		files["lambda_function.py"] = "def handler(e, c): pass\n"
		_, err := FromZip(zipOf(t, files), ZipLimits{}, ZipOptions{})
		if lambda.ErrorCode(err) != lambda.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		} else if len(err.Error()) > 600 {
			t.Errorf("%s: a message of %d bytes", name, len(err.Error()))
		}
	}
	// A link inside the directory and a long but valid name still convert.
	files := map[string]string{"lambda_function.py": "x", "lib/l@": "../lambda_function.py", strings.Repeat("b", 255): "y"}
	if _, err := FromZip(zipOf(t, files), ZipLimits{}, ZipOptions{}); err != nil {
		t.Errorf("a valid zip: %v", err)
	}
}
