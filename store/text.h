// Text helpers every component shares: UTF-8 well-formedness (image files, config values) and
// base64 (config:set --encoded, SSH keys), POSIX shell quoting (config:export, Swarm healthchecks)
// and Go template escaping (Swarm).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dokku {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid (overlong forms,
// surrogates and code points above U+10FFFF included).
size_t Utf8SequenceLength(std::string_view s, size_t i);

// `value` between single quotes for a POSIX shell ('\'' for each quote inside).
std::string ShellQuote(std::string_view value);

// `text` with every "{{" written as a Go template action that prints "{{", so a template
// expansion (Swarm expands env values, labels and mounts) gives `text` back unchanged.
std::string EscapeGoTemplate(std::string_view text);

// Standard base64 (padding required, CR/LF ignored). On bad input, nullopt and *bad_offset is
// the input byte Go's decoder names.
std::optional<std::string> DecodeBase64(std::string_view text, size_t* bad_offset);

// Standard base64 of `data`, with '=' padding when `pad` (SSH fingerprints are unpadded).
std::string EncodeBase64(std::string_view data, bool pad);

}  // namespace dokku
