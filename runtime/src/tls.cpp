#include "raftio/runtime/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <functional>
#include <stdexcept>

namespace raftio::runtime {
namespace {

void load(const char* option, const std::string& file, const std::function<void(asio::error_code&)>& what) {
  if (file.empty()) throw std::runtime_error(std::string(option) + " is required");
  asio::error_code error;
  what(error);
  if (error) throw std::runtime_error(std::string(option) + " " + file + ": " + describe_tls_error(error));
}

std::unique_ptr<asio::ssl::context> base_context(const TlsFiles& files, const char* cert_option,
                                                 const char* key_option) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  load(cert_option, files.cert_file,
       [&](asio::error_code& error) { context->use_certificate_chain_file(files.cert_file, error); });
  load(key_option, files.key_file,
       [&](asio::error_code& error) { context->use_private_key_file(files.key_file, asio::ssl::context::pem, error); });
  return context;
}

}  // namespace

std::unique_ptr<asio::ssl::context> make_peer_tls(const TlsFiles& files) {
  auto context = base_context(files, "--peer-cert-file", "--peer-key-file");
  load("--peer-trusted-ca-file", files.trusted_ca_file,
       [&](asio::error_code& error) { context->load_verify_file(files.trusted_ca_file, error); });
  context->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  return context;
}

std::unique_ptr<asio::ssl::context> make_client_tls(const TlsFiles& files) {
  auto context = base_context(files, "--client-cert-file", "--client-key-file");
  if (!files.trusted_ca_file.empty()) {
    load("--client-trusted-ca-file", files.trusted_ca_file,
         [&](asio::error_code& error) { context->load_verify_file(files.trusted_ca_file, error); });
    context->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

std::string peer_certificate_name(NodeId node, std::string_view cluster_id) {
  return "node-" + std::to_string(node) + "." + std::string(cluster_id);
}

bool peer_certificate_names(SSL* ssl, std::string_view name) {
  if (ssl == nullptr) return false;
  X509* certificate = SSL_get1_peer_certificate(ssl);
  if (certificate == nullptr) return false;
  const int match = X509_check_host(certificate, name.data(), name.size(), X509_CHECK_FLAG_NO_WILDCARDS, nullptr);
  X509_free(certificate);
  return match == 1;
}

std::string describe_tls_error(const asio::error_code& error) {
  std::string text = error.message();
  if (error.category() == asio::error::get_ssl_category()) {
    // OpenSSL 3 reasons read "certificate verify failed (SSL routines)": keep the reason.
    const std::size_t library = text.rfind(" (");
    if (library != std::string::npos && text.back() == ')') text.erase(library);
  }
  return text;
}

}  // namespace raftio::runtime
