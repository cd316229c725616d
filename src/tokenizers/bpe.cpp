// Byte-pair encoding as tokenizers/src/models/bpe/{model,word}.rs does it: a word starts as one
// symbol per character (or byte-fallback tokens, or a fused unknown token), then the adjacent
// pair with the lowest merge rank (leftmost on ties) is merged until none is left, with a
// priority queue over candidate pairs: O(n log n) per word. Words are cached.
#include <array>
#include <mutex>
#include <queue>

#include "core/error.h"
#include "tokenizers/json_node.h"
#include "tokenizers/models.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/unicode.h"

namespace wax {

namespace {

struct merge {
  uint32_t rank;
  int32_t new_id;
};

// (left id, right id) → merge, open addressing with linear probing: the merge lookups are most of
// the time of a cold word, and std::unordered_map's modulo and node chasing double it.
class merge_table {
 public:
  void reserve(size_t count) {
    size_t capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    slots_.assign(capacity, slot{empty_key, {}});
    shift_ = 64;
    for (size_t c = capacity; c > 1; c /= 2) --shift_;
  }
  void insert_or_assign(uint64_t key, merge value) {
    for (size_t i = index(key);; i = (i + 1) & (slots_.size() - 1))
      if (slots_[i].key == key || slots_[i].key == empty_key) {
        slots_[i] = {key, value};
        return;
      }
  }
  const merge* find(uint64_t key) const {
    if (slots_.empty()) return nullptr;
    for (size_t i = index(key);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].key == key) return &slots_[i].value;
      if (slots_[i].key == empty_key) return nullptr;
    }
  }

 private:
  static constexpr uint64_t empty_key = ~uint64_t(0);  // ids are non-negative, so never a real key
  struct slot {
    uint64_t key;
    merge value;
  };
  size_t index(uint64_t key) const { return size_t((key * 0x9E3779B97F4A7C15ull) >> shift_); }
  std::vector<slot> slots_;
  int shift_ = 60;
};

class bpe_model final : public model {
 public:
  struct options {
    std::optional<std::string> unk_token, continuing_subword_prefix, end_of_word_suffix;
    bool fuse_unk = false, byte_fallback = false, ignore_merges = false;
  };

  bpe_model(vocabulary vocab, const json_node& merges, options opts) : vocab_(std::move(vocab)), options_(std::move(opts)) {
    read_merges(merges);
    if (options_.unk_token) unk_id_ = vocab_.find(*options_.unk_token);
    // Ids of the one-character tokens below U+0800 (all of byte-level BPE's alphabet).
    char_ids_.assign(0x800, -1);
    for (const auto& [token, id] : vocab_.ids()) {
      size_t pos = 0;
      if (token.empty()) continue;
      const char32_t cp = unicode::utf8_next(token, pos);
      if (pos == token.size() && cp < char_ids_.size()) char_ids_[cp] = id;
    }
    if (options_.byte_fallback)
      for (int b = 0; b < 256; ++b) {
        static constexpr char hex_digits[] = "0123456789ABCDEF";
        const std::string name = std::string("<0x") + hex_digits[b >> 4] + hex_digits[b & 15] + ">";
        byte_ids_[size_t(b)] = vocab_.find(name).value_or(-1);
      }
  }

  const vocabulary& vocab() const override { return vocab_; }

  void tokenize(std::string_view word, std::vector<int32_t>& ids) const override {
    if (word.empty()) return;
    if (options_.ignore_merges)
      if (auto id = vocab_.find(word)) {
        ids.push_back(*id);
        return;
      }
    const bool cacheable = word.size() < max_cached_word_bytes;
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      auto hit = cache_.find(word);
      if (hit != cache_.end()) {
        ids.insert(ids.end(), hit->second.begin(), hit->second.end());
        return;
      }
    }
    const size_t first = ids.size();
    merge_word(word, ids);
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      if (cache_.size() >= cache_capacity) cache_.clear();
      cache_.emplace(std::string(word), std::vector<int32_t>(ids.begin() + std::ptrdiff_t(first), ids.end()));
    }
  }

 private:
  static constexpr size_t max_cached_word_bytes = 256;
  static constexpr size_t cache_capacity = 1 << 16;

  static uint64_t pair_key(int32_t left, int32_t right) { return (uint64_t(uint32_t(left)) << 32) | uint32_t(right); }

  void read_merges(const json_node& merges) {
    const size_t prefix_length = options_.continuing_subword_prefix ? options_.continuing_subword_prefix->size() : 0;
    const size_t count = merges.size();
    merges_.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const json_node entry = merges.at(i);
      std::string left, right;
      if (entry.value().is_string()) {
        const std::string line = entry.string();
        const size_t space = line.find(' ');
        if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
          entry.fail("a \"left right\" string or a [\"left\", \"right\"] pair");
        left = line.substr(0, space);
        right = line.substr(space + 1);
      } else if (entry.value().is_array() && entry.size() == 2 && entry.value()[0].is_string() && entry.value()[1].is_string()) {
        left = entry.value()[0].get<std::string>();
        right = entry.value()[1].get<std::string>();
      } else {
        entry.fail("a \"left right\" string or a [\"left\", \"right\"] pair");
      }
      const auto left_id = vocab_.find(left), right_id = vocab_.find(right);
      if (right.size() < prefix_length) entry.fail("a right part that starts with the continuing_subword_prefix");
      const auto merged_id = vocab_.find(left + right.substr(prefix_length));
      if (!left_id || !right_id || !merged_id)
        throw error(error_bad_tokenizer, entry.where() + ": merge of '" + left + "' and '" + right +
                                             "' names a token missing from 'model.vocab' ('" +
                                             (!left_id ? left : !right_id ? right : left + right.substr(prefix_length)) + "')");
      merges_.insert_or_assign(pair_key(*left_id, *right_id), merge{uint32_t(i), *merged_id});
    }
  }

  struct symbol {
    int32_t id;
    int32_t prev, next;  // -1 at the ends
    uint32_t length;     // bytes of the word it covers; 0 once merged into its left neighbour
  };

  // The initial symbols of Rust's BPE::merge_word.
  void initial_symbols(std::string_view word, std::vector<symbol>& symbols) const {
    bool unk_pending = false;  // an unknown run waiting to be added: (unk_id, unk_length)
    int32_t unk_id = 0;
    uint32_t unk_length = 0;
    std::string key;
    const auto add = [&](int32_t id, uint32_t length) {
      const int32_t index = int32_t(symbols.size());
      symbols.push_back({id, index - 1, -1, length});
      if (index > 0) symbols[size_t(index) - 1].next = index;
    };
    for (size_t pos = 0; pos < word.size();) {
      size_t end = pos + 1;
      while (end < word.size() && (uint8_t(word[end]) & 0xC0) == 0x80) ++end;
      const std::string_view ch = word.substr(pos, end - pos);
      const bool is_first = pos == 0, is_last = end == word.size();
      std::string_view lookup = ch;
      if ((!is_first && options_.continuing_subword_prefix) || (is_last && options_.end_of_word_suffix)) {
        key.clear();
        if (!is_first && options_.continuing_subword_prefix) key += *options_.continuing_subword_prefix;
        key += ch;
        if (is_last && options_.end_of_word_suffix) key += *options_.end_of_word_suffix;
        lookup = key;
      }
      pos = end;
      std::optional<int32_t> id;
      if (lookup.size() <= 2 && lookup.data() == ch.data()) {
        size_t at = 0;
        const char32_t cp = unicode::utf8_next(ch, at);
        if (cp < char_ids_.size() && char_ids_[cp] >= 0) id = char_ids_[cp];
      } else {
        id = vocab_.find(lookup);
      }
      if (id) {
        if (unk_pending) add(unk_id, unk_length), unk_pending = false;
        add(*id, uint32_t(ch.size()));
        continue;
      }
      if (options_.byte_fallback) {
        bool all = true;
        for (unsigned char b : lookup) all = all && byte_ids_[b] >= 0;
        if (all) {  // a pending unknown run stays pending, as in Rust (after these bytes)
          for (unsigned char b : lookup) add(byte_ids_[b], 1);
          continue;
        }
      }
      if (unk_id_) {
        if (unk_pending && options_.fuse_unk) {
          unk_length += uint32_t(ch.size());
        } else {
          if (unk_pending) add(unk_id, unk_length);
          unk_pending = true;
          unk_id = *unk_id_;
          unk_length = uint32_t(ch.size());
        }
      }
    }
    if (unk_pending) add(unk_id, unk_length);
  }

  void merge_word(std::string_view word, std::vector<int32_t>& ids) const {
    std::vector<symbol> symbols;
    symbols.reserve(word.size());
    initial_symbols(word, symbols);

    struct candidate {
      uint32_t rank;
      int32_t pos;
      int32_t new_id;
    };
    const auto later = [](const candidate& a, const candidate& b) { return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos; };
    std::priority_queue<candidate, std::vector<candidate>, decltype(later)> queue(later);
    const auto find_merge = [&](int32_t left, int32_t right) { return merges_.find(pair_key(left, right)); };
    for (size_t i = 0; i + 1 < symbols.size(); ++i)
      if (const merge* m = find_merge(symbols[i].id, symbols[i + 1].id)) queue.push({m->rank, int32_t(i), m->new_id});

    while (!queue.empty()) {
      const candidate top = queue.top();
      queue.pop();
      symbol& current = symbols[size_t(top.pos)];
      if (current.length == 0 || current.next < 0) continue;
      const symbol right = symbols[size_t(current.next)];
      const merge* still = find_merge(current.id, right.id);
      if (!still || still->new_id != top.new_id) continue;  // a stale candidate

      current.id = top.new_id;
      current.length += right.length;
      symbols[size_t(current.next)].length = 0;
      current.next = right.next;
      if (right.next >= 0) symbols[size_t(right.next)].prev = top.pos;

      if (current.prev >= 0)
        if (const merge* m = find_merge(symbols[size_t(current.prev)].id, current.id))
          queue.push({m->rank, current.prev, m->new_id});
      if (current.next >= 0)
        if (const merge* m = find_merge(current.id, symbols[size_t(current.next)].id))
          queue.push({m->rank, top.pos, m->new_id});
    }
    for (const symbol& s : symbols)
      if (s.length != 0) ids.push_back(s.id);
  }

  vocabulary vocab_;
  options options_;
  merge_table merges_;  // (left id, right id) → rank and merged id
  std::optional<int32_t> unk_id_;
  std::array<int32_t, 256> byte_ids_{};  // <0xXX> tokens for byte_fallback, -1 where absent
  std::vector<int32_t> char_ids_;         // code point → id of its one-character token, or -1

  mutable std::mutex cache_mutex_;
  struct string_hash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  mutable std::unordered_map<std::string, std::vector<int32_t>, string_hash, std::equal_to<>> cache_;
};

}  // namespace

std::unique_ptr<model> bpe_model_from_json(const json_node& node) {
  if (auto dropout = node.find("dropout")) {
    if (!dropout->value().is_number()) dropout->fail("a number or null");
    if (dropout->value().get<double>() != 0.0)
      dropout->unsupported("BPE dropout is a training-time regularizer; wax encodes deterministically (set it to null)");
  }
  bpe_model::options opts;
  // An empty prefix or suffix is the same as none.
  const auto non_empty = [](std::optional<std::string> text) { return text && !text->empty() ? text : std::nullopt; };
  opts.unk_token = node.optional_string("unk_token");
  opts.continuing_subword_prefix = non_empty(node.optional_string("continuing_subword_prefix"));
  opts.end_of_word_suffix = non_empty(node.optional_string("end_of_word_suffix"));
  opts.fuse_unk = node.boolean("fuse_unk", false);
  opts.byte_fallback = node.boolean("byte_fallback", false);
  opts.ignore_merges = node.boolean("ignore_merges", false);
  json_node merges = node.at("merges");
  return std::make_unique<bpe_model>(vocabulary::from_json(node.at("vocab")), merges, std::move(opts));
}

}  // namespace wax
