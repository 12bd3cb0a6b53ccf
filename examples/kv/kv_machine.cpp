#include "kv_machine.h"

#include <cstring>

#include "resp.h"

namespace kv {

std::string reply_of(const Outcome& outcome) {
  std::string reply;
  switch (outcome.kind) {
    case Outcome::Kind::Ok: resp::append_simple(reply, "OK"); break;
    case Outcome::Kind::Integer: resp::append_integer(reply, outcome.integer); break;
    case Outcome::Kind::Error: resp::append_error(reply, outcome.error); break;
    case Outcome::Kind::Bulk: resp::append_bulk(reply, *outcome.bulk); break;
    case Outcome::Kind::Null: resp::append_null(reply); break;
  }
  return reply;
}

raftio::Payload KvMachine::apply(const raftio::LogEntry& entry) {
  return raftio::Payload::copy_of(reply_of(state_.apply(entry.data.as_string_view())));
}

namespace {

// RESP replies start with one of "+-:$*"; a loan starts with this byte, then the loan's number.
constexpr char kLoanTag = '\x01';

}  // namespace

raftio::Payload KvMachine::query(const raftio::Payload& request) const {
  Outcome outcome = state_.query(request.as_string_view());
  if (outcome.kind == Outcome::Kind::Bulk) {
    const std::uint64_t loan = next_loan_++;
    loans_.emplace(loan, std::move(outcome.bulk));
    std::string bytes(1, kLoanTag);
    bytes.append(reinterpret_cast<const char*>(&loan), sizeof loan);
    return raftio::Payload::copy_of(bytes);
  }
  return raftio::Payload::copy_of(reply_of(outcome));
}

bool KvMachine::is_loan(const raftio::Payload& response) noexcept {
  return response.size() == 1 + sizeof(std::uint64_t) && response.as_string_view()[0] == kLoanTag;
}

Value KvMachine::redeem(const raftio::Payload& loan) {
  std::uint64_t number = 0;
  std::memcpy(&number, loan.data() + 1, sizeof number);
  const auto it = loans_.find(number);
  if (it == loans_.end()) return nullptr;
  Value value = std::move(it->second);
  loans_.erase(it);
  return value;
}

raftio::Payload KvMachine::snapshot() const {
  ++snapshots_taken_;
  return raftio::Payload::copy_of(state_.serialize());
}

// The map's values are immutable and shared, so a copy of the map is a copy of its keys and
// pointers; serializing it (the bytes of every value, and the checksum) happens off the loop.
std::function<raftio::Payload()> KvMachine::snapshot_job() const {
  ++snapshots_taken_;
  return [copy = state_] { return raftio::Payload::copy_of(copy.serialize()); };
}

bool KvMachine::restore(const raftio::Payload& snapshot) {
  std::string why;
  if (!state_.restore(snapshot.as_string_view(), &why)) {
    restore_error_ = std::move(why);
    return false;
  }
  return true;
}

}  // namespace kv
