package http

import (
	"net/http"

	"github.com/lambdahq/lambda"
)

// ImageList is the body of GET /v1/images.
type ImageList struct {
	Images []*lambda.Image `json:"images"`
}

// handleListImages lists the images on the server's host that functions
// can be deployed from.
func (s *Server) handleListImages(w http.ResponseWriter, r *http.Request) {
	if s.Images == nil {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server cannot deploy prebuilt images"))
		return
	}
	list, err := s.Images.ListImages(r.Context())
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if list == nil {
		list = []*lambda.Image{}
	}
	respondJSON(w, http.StatusOK, ImageList{Images: list})
}
