#include "client_session.h"

#include "server.h"

namespace kv {

ClientSession::ClientSession(asio::ip::tcp::socket socket, Server& server)
    : socket_(std::move(socket)), server_(server), read_buffer_(kReadBytes) {}

void ClientSession::start() {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  server_.session_idle(+1);
  read();
}

void ClientSession::read() {
  if (reading_ || closing_ || closed_) return;
  reading_ = true;
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const asio::error_code& error, std::size_t size) {
                            self->reading_ = false;
                            if (error) {
                              self->close();
                              return;
                            }
                            self->on_read(size);
                          });
}

// Parses every complete command read so far. A malformed or oversized one is answered with an
// error and ends the connection; the commands before it are still answered.
void ClientSession::on_read(std::size_t size) {
  input_.append(read_buffer_.data(), size);
  std::size_t offset = 0;
  while (!closing_) {
    const resp::ParseResult result = resp::parse_command(std::string_view(input_).substr(offset), limits_, args_);
    if (result.status == resp::ParseStatus::NeedMore) break;
    if (result.status == resp::ParseStatus::Error) {
      std::string reply;
      resp::append_error(reply, "ERR " + result.error);
      fill_and_close(reserve_slot(), std::move(reply));
      break;
    }
    offset += result.consumed;
    if (!args_.empty()) server_.submit(shared_from_this(), args_);
  }
  input_.erase(0, offset);
  if (slots_.size() < kMaxPendingSlots) read();  // else flush() resumes once replies drain
  server_.request_turn();
}

std::uint64_t ClientSession::reserve_slot() {
  if (slots_.empty()) server_.session_idle(-1);
  slots_.emplace_back();
  return first_slot_ + slots_.size() - 1;
}

void ClientSession::fill(std::uint64_t slot, std::string reply) {
  if (closed_ || slot < first_slot_ || slot - first_slot_ >= slots_.size()) return;
  Slot& target = slots_[slot - first_slot_];
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
  while (!slots_.empty() && slots_.front().ready) {
    output_ += slots_.front().reply;
    slots_.pop_front();
    ++first_slot_;
    if (slots_.empty()) server_.session_idle(+1);
  }
  if (output_.size() > kMaxOutputBytes) {
    close();
    return;
  }
  write();
  if (slots_.size() < kMaxPendingSlots / 2) read();
}

void ClientSession::write() {
  if (closed_ || writing_active_) return;
  if (output_.empty()) {
    if (closing_ && slots_.empty()) close();
    return;
  }
  writing_active_ = true;
  writing_.swap(output_);
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const asio::error_code& error, std::size_t) {
                      self->writing_active_ = false;
                      if (error) {
                        self->close();
                        return;
                      }
                      self->writing_.clear();
                      self->write();
                    });
}

void ClientSession::close() {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  if (slots_.empty()) server_.session_idle(-1);
  slots_.clear();
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace kv
