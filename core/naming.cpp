#include "core/naming.h"

#include <cxxabi.h>

#include <cctype>
#include <cstdlib>
#include <memory>

namespace ember::detail {

std::string to_snake_case(const std::string& class_name) {
  // keras.src.utils.naming.to_snake_case's three substitutions, scanned by hand (left to right,
  // matches not overlapping, as Python's re.sub): drop \W; "(.)([A-Z][a-z]+)" -> "\1_\2";
  // "([a-z])([A-Z])" -> "\1_\2"; then lower case.
  const auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  const auto is_lower = [](char c) { return c >= 'a' && c <= 'z'; };
  std::string word;
  for (const char c : class_name) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') word += c;
  }
  std::string split;
  for (std::size_t i = 0; i < word.size();) {
    if (i + 2 < word.size() && is_upper(word[i + 1]) && is_lower(word[i + 2])) {
      std::size_t end = i + 2;
      while (end < word.size() && is_lower(word[end])) ++end;
      split += word[i];
      split += '_';
      split.append(word, i + 1, end - i - 1);
      i = end;
    } else {
      split += word[i++];
    }
  }
  std::string name;
  for (std::size_t i = 0; i < split.size();) {
    if (i + 1 < split.size() && is_lower(split[i]) && is_upper(split[i + 1])) {
      name += split[i];
      name += '_';
      name += split[i + 1];
      i += 2;
    } else {
      name += split[i++];
    }
  }
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string class_name_of(const std::type_info& type) {
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  std::string name = status == 0 && demangled ? demangled.get() : type.name();
  if (const auto angle = name.find('<'); angle != std::string::npos) name.erase(angle);
  if (const auto colons = name.rfind("::"); colons != std::string::npos) name.erase(0, colons + 2);
  return name;
}

}  // namespace ember::detail
