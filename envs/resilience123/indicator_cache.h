// A bounded cache of computed resilience indicator sets, keyed by what the indicators depend on:
// the topology (which switchable edges are closed), the failed lines and the online sources
// (spec resilience123 section 3: "cache them by that key"). An episode revisits few topologies,
// so a hit replaces the percolation Monte Carlo and the centrality sweeps by a hash lookup.
//
// Key: the three masks packed to bits in 64-bit words, preceded by one word holding their lengths,
// so masks of different lengths never collide. Eviction: least recently used (a lookup hit or an
// insert makes an entry most recent); when an insert would exceed `capacity`, the least recently
// used entry is dropped. Not thread-safe: one cache per environment (or guard it externally).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "envs/resilience123/resilience.h"

namespace gridrl::metrics {

struct TopologyKey {
  std::vector<uint64_t> words;

  bool operator==(const TopologyKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const TopologyKey& key) {
    return H::combine(std::move(h), key.words);
  }
};

// Any nonzero byte is a set bit. Each mask may hold up to 2^21 - 1 entries.
TopologyKey MakeTopologyKey(std::span<const uint8_t> edge_closed,
                            std::span<const uint8_t> failed_lines,
                            std::span<const uint8_t> online_sources);

class IndicatorCache {
 public:
  static constexpr size_t kDefaultCapacity = 4096;

  // capacity 0 is treated as 1.
  explicit IndicatorCache(size_t capacity = kDefaultCapacity);

  // The cached set, made most recently used; nullopt on a miss. Counts hits and misses.
  std::optional<IndicatorSet> Find(const TopologyKey& key);

  // Inserts or overwrites; evicts the least recently used entry when full.
  void Insert(const TopologyKey& key, const IndicatorSet& value);

  // Find, else compute() -> StatusOr<IndicatorSet>, insert on success and return it. Errors are
  // returned and not cached.
  template <typename Compute>
  absl::StatusOr<IndicatorSet> GetOrCompute(const TopologyKey& key, Compute&& compute) {
    if (std::optional<IndicatorSet> hit = Find(key)) return *hit;
    absl::StatusOr<IndicatorSet> value = compute();
    if (value.ok()) Insert(key, *value);
    return value;
  }

  void Clear();
  size_t size() const { return map_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t evictions() const { return evictions_; }

 private:
  using Entry = std::pair<TopologyKey, IndicatorSet>;
  size_t capacity_;
  std::list<Entry> order_;  // front = most recently used
  absl::flat_hash_map<TopologyKey, std::list<Entry>::iterator> map_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace gridrl::metrics
