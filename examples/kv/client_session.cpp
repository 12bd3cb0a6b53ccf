#include "client_session.h"

#include "server.h"

namespace kv {
namespace {

constexpr char kCrlf[] = "\r\n";
constexpr int kReadsPerWake = 4;  // then let other connections have a turn

}  // namespace

ClientSession::ClientSession(std::unique_ptr<raftio::runtime::Stream> stream, Server& server,
                             std::vector<char>& shared_read_buffer)
    : stream_(std::move(stream)), server_(server), shared_read_buffer_(shared_read_buffer) {}

void ClientSession::start() {
  asio::error_code ignored;
  stream_->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  server_.session_idle(+1);
  if (!stream_->is_tls()) {
    stream_->socket().non_blocking(true, ignored);  // read_plain() reads until it would block
    handshaken_ = true;
    read();
    return;
  }
  tls_deadline_ = std::make_unique<asio::steady_timer>(stream_->socket().get_executor(), kTlsHandshakeTimeout);
  tls_deadline_->async_wait([self = shared_from_this()](const asio::error_code& error) {
    if (!error && !self->handshaken_) self->close();
  });
  stream_->async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](const asio::error_code& error) {
    self->tls_deadline_->cancel();
    if (error || self->closed_) {
      self->server_.client_tls_failed();
      self->close();
      return;
    }
    self->handshaken_ = true;
    self->read();
  });
}

bool ClientSession::can_read() const noexcept {
  return handshaken_ && !closing_ && !closed_ && pending_slots() < kMaxPendingSlots && queued_bytes_ < kMaxQueuedBytes;
}

void ClientSession::read() {
  if (reading_ || !can_read()) return;
  if (!stream_->is_tls()) {
    read_plain();
    return;
  }
  if (tls_read_buffer_.empty()) tls_read_buffer_.resize(kReadBytes);
  reading_ = true;
  stream_->async_read_some(asio::buffer(tls_read_buffer_),
                           [self = shared_from_this()](const asio::error_code& error, std::size_t size) {
                             self->reading_ = false;
                             if (error) {
                               self->close();
                               return;
                             }
                             self->on_bytes(self->tls_read_buffer_.data(), size);
                             self->read();
                           });
}

// Reads into the shared buffer until the socket would block (Asio's epoll reactor is
// edge-triggered: it reports readability once per arrival, so a wait is armed only on a drained
// socket), until the connection is over its budget, or for kReadsPerWake reads at most.
void ClientSession::read_plain() {
  for (int reads = 0; reads < kReadsPerWake; ++reads) {
    asio::error_code error;
    const std::size_t size = stream_->socket().read_some(asio::buffer(shared_read_buffer_), error);
    if (error == asio::error::would_block || error == asio::error::try_again) {
      wait_readable();
      return;
    }
    if (error) {
      close();
      return;
    }
    on_bytes(shared_read_buffer_.data(), size);
    if (!can_read()) return;  // resume() reads on once replies drain
  }
  reading_ = true;
  asio::post(stream_->socket().get_executor(), [self = shared_from_this()] {
    self->reading_ = false;
    self->read();
  });
}

void ClientSession::wait_readable() {
  reading_ = true;
  stream_->socket().async_wait(asio::socket_base::wait_read, [self = shared_from_this()](const asio::error_code& error) {
    self->reading_ = false;
    if (error) {
      self->close();
      return;
    }
    self->read();
  });
}

void ClientSession::on_bytes(const char* data, std::size_t size) {
  reader_.append(std::string_view(data, size));
  parse();
}

// Parses every complete command buffered, while the connection is within its budget. A malformed
// or oversized one is answered with an error and ends the connection; the commands before it are
// still answered.
void ClientSession::parse() {
  while (!closing_ && !closed_ && pending_slots() < kMaxPendingSlots && queued_bytes_ < kMaxQueuedBytes) {
    const resp::ParseResult result = reader_.next(args_);
    if (result.status == resp::ParseStatus::NeedMore) break;
    if (result.status == resp::ParseStatus::Error) {
      std::string reply;
      resp::append_error(reply, "ERR " + result.error);
      fill_and_close(reserve_slot(0), std::move(reply));
      break;
    }
    if (!args_.empty()) server_.submit(shared_from_this(), args_, result.consumed);
  }
}

// Replies drained: take up what backpressure held back, first the commands already buffered.
void ClientSession::resume() {
  if (!can_read()) return;
  parse();
  read();
}

std::uint64_t ClientSession::reserve_slot(std::size_t request_bytes) {
  if (pending_slots() == 0) server_.session_idle(-1);
  slots_.push_back(Slot{false, request_bytes, {}});
  queued_bytes_ += request_bytes;
  return first_slot_ + pending_slots() - 1;
}

void ClientSession::fill(std::uint64_t slot, resp::Reply reply) {
  if (closed_ || slot < first_slot_ || slot - first_slot_ >= pending_slots()) return;
  Slot& target = slots_[first_index_ + (slot - first_slot_)];
  if (target.ready) return;
  queued_bytes_ += reply.size();
  queued_bytes_ -= target.request_bytes;
  target.ready = true;
  target.reply = std::move(reply);
  server_.mark_dirty(shared_from_this());
}

void ClientSession::fill_and_close(std::uint64_t slot, std::string reply) {
  closing_ = true;
  fill(slot, std::move(reply));
}

void ClientSession::flush() {
  if (closed_) return;
  while (pending_slots() > 0 && slots_[first_index_].ready) {
    resp::Reply& reply = slots_[first_index_].reply;
    if (!reply.body && !output_.empty() && !output_.back().body) {
      output_.back().head += reply.head;  // small replies go out as one buffer
    } else {
      output_.push_back(std::move(reply));
    }
    ++first_index_;
    ++first_slot_;
    if (pending_slots() == 0) server_.session_idle(+1);
  }
  if (pending_slots() == 0) {
    slots_.clear();
    first_index_ = 0;
  } else if (first_index_ > slots_.size() / 2) {
    slots_.erase(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(first_index_));
    first_index_ = 0;
  }
  write();
  resume();
}

void ClientSession::write() {
  if (closed_ || writing_active_) return;
  if (output_.empty()) {
    if (closing_ && pending_slots() == 0) close();
    if (pending_slots() == 0) release_idle_memory();
    return;
  }
  writing_active_ = true;
  writing_.swap(output_);
  gather_.clear();
  for (const resp::Reply& reply : writing_) {
    if (!reply.head.empty()) gather_.push_back(asio::buffer(reply.head));
    if (reply.body) {
      gather_.push_back(asio::buffer(*reply.body));
      gather_.push_back(asio::buffer(kCrlf, 2));
    }
  }
  stream_->async_write(gather_, [self = shared_from_this()](const asio::error_code& error, std::size_t written) {
    self->writing_active_ = false;
    if (error) {
      self->close();
      return;
    }
    self->queued_bytes_ -= written;
    self->writing_.clear();
    self->gather_.clear();
    self->write();
    self->resume();
  });
}

// A connection that went quiet after a burst of pipelined commands gives back its buffers' room.
void ClientSession::release_idle_memory() {
  constexpr std::size_t kKeep = 16;
  if (slots_.empty() && slots_.capacity() > kKeep) std::vector<Slot>().swap(slots_);
  if (output_.capacity() > kKeep) std::vector<resp::Reply>().swap(output_);
  if (writing_.capacity() > kKeep) std::vector<resp::Reply>().swap(writing_);
  if (gather_.capacity() > 3 * kKeep) std::vector<asio::const_buffer>().swap(gather_);
}

void ClientSession::close() {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  if (pending_slots() == 0) server_.session_idle(-1);
  slots_.clear();
  first_index_ = 0;
  output_.clear();
  stream_->close();
  server_.session_closed();
}

}  // namespace kv
