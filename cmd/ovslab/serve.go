package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/server"
)

// defaultListen is where serve listens unless told: this machine only.
const defaultListen = "127.0.0.1:7780"

func newServe() *cobra.Command {
	var listen, cert, key string
	var insecure bool
	c := &cobra.Command{
		Use:   "serve [--listen ADDR] [--tls-cert FILE --tls-key FILE] [--insecure-http]",
		Short: "Serve the teacher's board and the students' pages of every class here",
		Long: `serve is the classroom's web server: the teacher's board (every student's
copy, live, with its checks), and each student's page (their own copy's
picture and expectations, a "check my lab" button, and terminals into
their containers and sandboxed shells on their emulated hosts), for every
class recorded on this machine (ovslab class up).

Hand out the URLs of "ovslab class urls CLASS.yaml". A student's URL
reaches that student's copy only; the teacher's reaches the whole class.

It listens on 127.0.0.1:7780 unless told. Another address carries the
tokens over the network: give it a TLS certificate and key, or say
--insecure-http to serve plain HTTP on a network you trust.

  sudo ovslab serve
  sudo ovslab serve --listen 0.0.0.0:7780 --tls-cert cert.pem --tls-key key.pem`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkListen(listen, cert, key, insecure); err != nil {
				return err
			}
			if os.Geteuid() != 0 {
				return fmt.Errorf("ovslab serve needs root: it reads the classes' records and opens shells in their labs")
			}
			return serve(c.Context(), listen, cert, key)
		},
	}
	c.Flags().StringVar(&listen, "listen", defaultListen, "address and port to listen on")
	c.Flags().StringVar(&cert, "tls-cert", "", "TLS certificate (PEM) to serve HTTPS with")
	c.Flags().StringVar(&key, "tls-key", "", "TLS private key (PEM) of --tls-cert")
	c.Flags().BoolVar(&insecure, "insecure-http", false, "serve plain HTTP on an address other than loopback (tokens cross the network in clear)")
	return c
}

// checkListen refuses plain HTTP beyond this machine unless asked for.
func checkListen(listen, cert, key string, insecure bool) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return labs.Usagef("--listen %q: want HOST:PORT (e.g. %s)", listen, defaultListen)
	}
	if (cert == "") != (key == "") {
		return labs.Usagef("--tls-cert and --tls-key go together")
	}
	if cert == "" && !insecure && !loopback(host) {
		return labs.Usagef("--listen %s is reachable from other machines: give --tls-cert and --tls-key, or --insecure-http to send the students' tokens in clear", listen)
	}
	return nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func serve(ctx context.Context, listen, cert, key string) error {
	logger := log.New(os.Stderr, "", log.LstdFlags)
	backend, err := server.NewLabs(logger.Printf)
	if err != nil {
		return err
	}
	defer backend.Close()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	classes, err := class.List()
	if err != nil {
		logger.Printf("%v", err)
	}
	scheme := "http"
	if cert != "" {
		scheme = "https"
	}
	logger.Printf("serving %d class(es) on %s://%s; the pages' URLs: ovslab class urls CLASS.yaml --base %s://%s",
		len(classes), scheme, ln.Addr(), scheme, ln.Addr())
	s := server.New(server.Options{Backend: backend, TLS: cert != "", Logf: logger.Printf})
	err = s.Serve(ctx, ln, cert, key)
	logger.Printf("stopped")
	return err
}
