#include "http/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <thread>

#include "core/testing/temp_dir.h"
#include "http/socket.h"

namespace spaceport::http {
namespace {

// Accepts one connection, reads the request head, then writes `reply` in the
// given pieces, waiting for the client's ack between pieces when asked.
class OneShotServer {
 public:
  explicit OneShotServer(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {
    auto fd = ListenTcp("127.0.0.1", 0, false);
    EXPECT_TRUE(fd.ok());
    listen_ = std::move(fd).value();
    SetNonBlocking(listen_.get(), false).ok();
    port_ = LocalPort(listen_.get());
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneShotServer() { thread_.join(); }
  int port() const { return port_; }
  std::string request() const { return request_; }
  // Lets the server send the next piece (for streaming tests).
  void Release() { released_.release(); }

 private:
  void Serve() {
    UniqueFd c(::accept(listen_.get(), nullptr, nullptr));
    char buf[4096];
    while (request_.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(c.get(), buf, sizeof(buf), 0);
      if (n <= 0) return;
      request_.append(buf, n);
    }
    for (size_t i = 0; i < pieces_.size(); ++i) {
      if (i > 0) released_.acquire();
      ::send(c.get(), pieces_[i].data(), pieces_[i].size(), MSG_NOSIGNAL);
    }
  }

  std::vector<std::string> pieces_;
  UniqueFd listen_;
  int port_ = 0;
  std::string request_;
  std::binary_semaphore released_{0};
  std::thread thread_;
};

ClientRequest Get(const std::string& url, Millis timeout = Millis(30000)) {
  ClientRequest r;
  r.url = url;
  r.timeout = timeout;
  return r;
}

TEST(ClientTest, FetchContentLength) {
  OneShotServer server({"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello"});
  ClientRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/p?q=1";
  req.body = "";
  auto resp = Fetch(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "hello");
  EXPECT_EQ(resp->headers.Get("x-a").value(), "b");
  EXPECT_NE(server.request().find("POST /p?q=1 HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(server.request().find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(ClientTest, FetchChunkedAndCloseDelimited) {
  OneShotServer chunked({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"});
  auto r1 = Fetch(Get("http://127.0.0.1:" + std::to_string(chunked.port()) + "/"));
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->body, "abc");
  OneShotServer until_close({"HTTP/1.0 404 Not Found\r\n\r\nnot here"});
  auto r2 = Fetch(Get("http://127.0.0.1:" + std::to_string(until_close.port()) + "/"));
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->status, 404);
  EXPECT_EQ(r2->body, "not here");
}

TEST(ClientTest, FetchStreamDeliversChunksAsTheyArrive) {
  OneShotServer server({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nevent1\n\r\n",
                        "7\r\nevent2\n\r\n", "0\r\n\r\n"});
  std::vector<std::string> chunks;
  int status = 0;
  Status s = FetchStream(
      Get("http://127.0.0.1:" + std::to_string(server.port()) + "/s"),
      [&](const ClientResponse& head) { status = head.status; },
      [&](std::string_view chunk) {
        chunks.emplace_back(chunk);
        server.Release();  // the next piece is only sent after this one arrived
        return true;
      });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(chunks, (std::vector<std::string>{"event1\n", "event2\n"}));
}

TEST(ClientTest, ErrorsAreStatuses) {
  EXPECT_EQ(Fetch(Get("ftp://x/")).status().code(), StatusCode::kInvalidArgument);
  auto listener = ListenTcp("127.0.0.1", 0, false);
  int port = LocalPort(listener->get());
  listener->reset();  // nothing listens there now
  EXPECT_EQ(Fetch(Get("http://127.0.0.1:" + std::to_string(port) + "/")).status().code(),
            StatusCode::kUnavailable);
}

TEST(ClientTest, TimesOut) {
  auto listener = ListenTcp("127.0.0.1", 0, false);  // accepts (backlog) but never answers
  ClientRequest req = Get("http://127.0.0.1:" + std::to_string(LocalPort(listener->get())) + "/", Millis(100));
  EXPECT_EQ(Fetch(req).status().code(), StatusCode::kDeadlineExceeded);
}

// A TLS server for one request: a self-signed certificate for localhost and
// 127.0.0.1 made here (its PEM in cert_file() for the client to trust).
class TlsServer {
 public:
  explicit TlsServer(std::string reply) : reply_(std::move(reply)) {
    key_ = EVP_EC_gen("P-256");
    cert_ = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert_), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert_), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert_), 3600);
    X509_set_pubkey(cert_, key_);
    X509_NAME* name = X509_get_subject_name(cert_);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert_, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert_, cert_, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    X509_add_ext(cert_, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(cert_, key_, EVP_sha256());
    cert_file_ = dir_.path() + "/cert.pem";
    FILE* f = std::fopen(cert_file_.c_str(), "w");
    PEM_write_X509(f, cert_);
    std::fclose(f);
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, cert_);
    SSL_CTX_use_PrivateKey(ctx_, key_);
    auto fd = ListenTcp("127.0.0.1", 0, false);
    EXPECT_TRUE(fd.ok());
    listen_ = std::move(fd).value();
    SetNonBlocking(listen_.get(), false).ok();
    port_ = LocalPort(listen_.get());
    thread_ = std::thread([this] { Serve(); });
  }
  ~TlsServer() {
    thread_.join();
    SSL_CTX_free(ctx_);
    X509_free(cert_);
    EVP_PKEY_free(key_);
  }
  int port() const { return port_; }
  const std::string& cert_file() const { return cert_file_; }
  const std::string& request() const { return request_; }

 private:
  void Serve() {
    pollfd p{listen_.get(), POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return;  // no client came: the test fails, it does not hang
    UniqueFd c(::accept(listen_.get(), nullptr, nullptr));
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, c.get());
    if (SSL_accept(ssl) == 1) {
      char buf[4096];
      while (request_.find("\r\n\r\n") == std::string::npos) {
        int n = SSL_read(ssl, buf, sizeof(buf));
        if (n <= 0) break;
        request_.append(buf, n);
      }
      SSL_write(ssl, reply_.data(), static_cast<int>(reply_.size()));
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
  }

  testing::TempDir dir_;
  std::string reply_, cert_file_, request_;
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  SSL_CTX* ctx_ = nullptr;
  UniqueFd listen_;
  int port_ = 0;
  std::thread thread_;
};

TEST(ClientTest, FetchOverTlsChecksTheCertificate) {
  {
    TlsServer server("HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello");
    ClientRequest req = Get("https://localhost:" + std::to_string(server.port()) + "/v1/x?y=1");
    req.method = "POST";
    req.body = "a=b";
    req.ca_file = server.cert_file();
    auto r = Fetch(req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 201);
    EXPECT_EQ(r->body, "hello");
    EXPECT_NE(server.request().find("POST /v1/x?y=1 HTTP/1.1"), std::string::npos);
  }
  {
    TlsServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");  // by IP address
    ClientRequest req = Get("https://127.0.0.1:" + std::to_string(server.port()) + "/");
    req.ca_file = server.cert_file();
    auto r = Fetch(req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "ok");
  }
  {
    // A certificate nobody vouches for: the system's CAs do not know it.
    TlsServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    auto r = Fetch(Get("https://localhost:" + std::to_string(server.port()) + "/"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(r.status().message().find("does not verify"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace spaceport::http
