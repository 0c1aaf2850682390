#include "envs/resilience123/indicator_cache.h"

#include <algorithm>

namespace gridrl::metrics {

TopologyKey MakeTopologyKey(std::span<const uint8_t> edge_closed,
                            std::span<const uint8_t> failed_lines,
                            std::span<const uint8_t> online_sources) {
  TopologyKey key;
  const size_t total = edge_closed.size() + failed_lines.size() + online_sources.size();
  key.words.reserve(1 + (total + 63) / 64);
  // Lengths in 21-bit fields of the header word.
  constexpr uint64_t kField = (1u << 21) - 1;
  key.words.push_back((edge_closed.size() & kField) | ((failed_lines.size() & kField) << 21) |
                      ((online_sources.size() & kField) << 42));
  uint64_t word = 0;
  int bit = 0;
  for (std::span<const uint8_t> mask : {edge_closed, failed_lines, online_sources}) {
    for (uint8_t v : mask) {
      if (v) word |= uint64_t{1} << bit;
      if (++bit == 64) {
        key.words.push_back(word);
        word = 0;
        bit = 0;
      }
    }
  }
  if (bit > 0) key.words.push_back(word);
  return key;
}

IndicatorCache::IndicatorCache(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

std::optional<IndicatorSet> IndicatorCache::Find(const TopologyKey& key) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void IndicatorCache::Insert(const TopologyKey& key, const IndicatorSet& value) {
  auto it = map_.find(key);
  if (it != map_.end()) {
    it->second->second = value;
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  if (map_.size() >= capacity_) {
    map_.erase(order_.back().first);
    order_.pop_back();
    ++evictions_;
  }
  order_.emplace_front(key, value);
  map_.emplace(key, order_.begin());
}

void IndicatorCache::Clear() {
  map_.clear();
  order_.clear();
}

}  // namespace gridrl::metrics
