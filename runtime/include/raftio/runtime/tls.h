// TLS contexts from PEM files, through asio::ssl over OpenSSL, and the check that ties a peer's
// certificate to the node id it claims.
//
// Peer links use mutual TLS: both ends present a certificate and verify the other's against the
// trusted CA (as etcd's --peer-cert-file / --peer-key-file / --peer-trusted-ca-file). A node's
// certificate names it: its subject CN or one of its DNS subjectAltNames is
// "node-<id>.<cluster id>" (peer_certificate_name), which the hello's node id must match. So a
// certificate issued to node 3 cannot speak for node 1, nor for node 3 of another cluster that
// shares the CA.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <memory>
#include <string>
#include <string_view>

#include <raftio/types.h>

namespace raftio::runtime {

struct TlsFiles {
  std::string cert_file;        // PEM: this end's certificate (chain)
  std::string key_file;         // PEM: its private key
  std::string trusted_ca_file;  // PEM: the CA(s) the other end's certificate must chain to
};

// Mutual TLS for peer links (TLS 1.2 or newer): every field of `files` is required; each end
// presents its certificate and refuses a peer without one signed by the trusted CA. Throws
// std::runtime_error naming the option and file that could not be loaded.
std::unique_ptr<asio::ssl::context> make_peer_tls(const TlsFiles& files);

// TLS for the client port: the server's certificate and key; with a trusted CA, clients must also
// present a certificate it signed. Throws std::runtime_error like make_peer_tls.
std::unique_ptr<asio::ssl::context> make_client_tls(const TlsFiles& files);

// The name a node's peer certificate must carry (CN or DNS subjectAltName).
std::string peer_certificate_name(NodeId node, std::string_view cluster_id);

// Whether the certificate the remote end of `ssl` presented (already verified against the CA by
// the handshake) names `name`, by OpenSSL's X509_check_host (DNS subjectAltNames, or the subject
// CN when the certificate has none).
bool peer_certificate_names(SSL* ssl, std::string_view name);

// An OpenSSL error as one line: "certificate verify failed", "peer did not return a certificate".
std::string describe_tls_error(const asio::error_code& error);

}  // namespace raftio::runtime
