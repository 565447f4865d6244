#include "actors/mime.hpp"

#include <algorithm>
#include <ctime>

#include "config/utf8.hpp"

namespace ns::mime {

namespace {

constexpr char alphabet[]
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool printable_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e)
      return false;
  return true;
}

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs) {
    if (!out.empty())
      out += ", ";
    out += encode_address(x);
  }
  return out;
}

void body_part(std::string& out, std::string_view subtype,
               std::string_view text) {
  out += "Content-Type: text/";
  out += subtype;
  out += "; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n\r\n";
  out += base64(text, true);
  out += "\r\n";
}

} // namespace

std::string base64(std::string_view data, bool wrap) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4 + data.size() / 57 * 2);
  size_t line = 0;
  for (size_t i = 0; i < data.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size())
      n |= static_cast<unsigned char>(data[i + 1]) << 8;
    if (i + 2 < data.size())
      n |= static_cast<unsigned char>(data[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? alphabet[(n >> 6) & 63] : '=';
    out += i + 2 < data.size() ? alphabet[n & 63] : '=';
    line += 4;
    if (wrap && line == 76 && i + 3 < data.size()) {
      out += "\r\n";
      line = 0;
    }
  }
  return out;
}

std::string encode_word(std::string_view text) {
  if (printable_ascii(text))
    return std::string{text};
  // "=?UTF-8?B?" + "?=" is 12 characters; 45 bytes make 60 of base64.
  constexpr size_t max_chunk = 45;
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = pos;
    while (end < text.size()) {
      // An ill-formed byte goes alone: no encoded-word ends inside a
      // character.
      auto len = std::max<size_t>(1, utf8::sequence_length(text.substr(end)));
      if (end + len - pos > max_chunk)
        break;
      end += len;
    }
    if (end == pos) // a broken sequence longer than a chunk
      end = std::min(text.size(), pos + max_chunk);
    if (!out.empty())
      out += "\r\n "; // folded: each encoded-word on its own line
    out += "=?UTF-8?B?";
    out += base64(text.substr(pos, end - pos));
    out += "?=";
    pos = end;
  }
  return out;
}

std::string encode_address(std::string_view address) {
  auto lt = address.rfind('<');
  if (lt == std::string_view::npos || lt == 0)
    return std::string{address};
  auto name = address.substr(0, lt);
  while (!name.empty() && name.back() == ' ')
    name.remove_suffix(1);
  if (printable_ascii(name))
    return std::string{address};
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
    name = name.substr(1, name.size() - 2);
  return encode_word(name) + " " + std::string{address.substr(lt)};
}

std::string bare_address(std::string_view address) {
  auto addr = address;
  if (auto lt = address.rfind('<'); lt != std::string_view::npos) {
    auto gt = address.find('>', lt);
    if (gt == std::string_view::npos || gt + 1 != address.size())
      return {};
    addr = address.substr(lt + 1, gt - lt - 1);
  }
  auto at = addr.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == addr.size())
    return {};
  for (unsigned char c : addr)
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',')
      return {};
  // Line breaks anywhere would let a param inject headers.
  for (char c : address)
    if (c == '\r' || c == '\n')
      return {};
  return std::string{addr};
}

std::string date(uint64_t ms) {
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  auto n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return std::string{buf, n};
}

std::string build(const message& m, std::string_view boundary) {
  std::string out;
  out += "From: " + encode_address(m.from) + "\r\n";
  if (!m.to.empty())
    out += "To: " + join(m.to) + "\r\n";
  if (!m.cc.empty())
    out += "Cc: " + join(m.cc) + "\r\n";
  if (!m.reply_to.empty())
    out += "Reply-To: " + encode_address(m.reply_to) + "\r\n";
  out += "Subject: " + encode_word(m.subject) + "\r\n";
  out += "Date: " + date(m.date_ms) + "\r\n";
  if (!m.message_id.empty())
    out += "Message-ID: <" + m.message_id + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  if (!m.text.empty() && !m.html.empty()) {
    out += "Content-Type: multipart/alternative; boundary=\"";
    out += boundary;
    out += "\"\r\n\r\n";
    out += "--" + std::string{boundary} + "\r\n";
    body_part(out, "plain", m.text);
    out += "--" + std::string{boundary} + "\r\n";
    body_part(out, "html", m.html);
    out += "--" + std::string{boundary} + "--\r\n";
  } else if (!m.html.empty()) {
    body_part(out, "html", m.html);
  } else {
    body_part(out, "plain", m.text);
  }
  return out;
}

} // namespace ns::mime
