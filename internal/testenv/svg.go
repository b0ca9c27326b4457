package testenv

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// SVGText parses b as XML with an <svg> root and returns the contents of
// its <text> elements joined by "|", and the raw attribute values of every
// element joined by " " (colours, tooltips), for tests to search.
func SVGText(b []byte) (texts, attrs string, err error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var tx, at []string
	inText, root := false, ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", "", fmt.Errorf("SVG is not XML: %w", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = e.Name.Local
			}
			inText = e.Name.Local == "text"
			for _, a := range e.Attr {
				at = append(at, a.Value)
			}
		case xml.CharData:
			if inText {
				tx = append(tx, string(e))
			}
		case xml.EndElement:
			inText = false
		}
	}
	if root != "svg" {
		return "", "", fmt.Errorf("root element %q, want svg", root)
	}
	return strings.Join(tx, "|"), strings.Join(at, " "), nil
}
