// Endpoints as text: "127.0.0.1:7001" and "[::1]:7001" (IP literals only; no name lookup, so a
// node's behaviour never depends on DNS).
#pragma once

#include <asio.hpp>
#include <optional>
#include <string>

namespace raftio::runtime {

std::string to_string(const asio::ip::tcp::endpoint& endpoint);
std::optional<asio::ip::tcp::endpoint> parse_endpoint(const std::string& text);

}  // namespace raftio::runtime
