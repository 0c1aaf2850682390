#include "metrics/graph.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"

namespace gridrl::metrics {

absl::StatusOr<Graph> Graph::Create(int num_nodes, std::vector<Edge> edges) {
  if (num_nodes < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("num_nodes: expected >= 1, got %d", num_nodes));
  }
  for (size_t k = 0; k < edges.size(); ++k) {
    const Edge& e = edges[k];
    if (e.from < 0 || e.from >= num_nodes || e.to < 0 || e.to >= num_nodes) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "edges[%d]: endpoints (%d, %d) must be node indices in [0, %d)", k, e.from, e.to,
          num_nodes));
    }
  }
  return Graph(num_nodes, std::move(edges));
}

absl::Status Graph::CheckEdgeMask(std::span<const uint8_t> mask, const char* field) const {
  if (mask.size() != edges_.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: expected one entry per edge (%d), got %d", field, edges_.size(), mask.size()));
  }
  return absl::OkStatus();
}

Adjacency BuildAdjacency(const Graph& graph, std::span<const uint8_t> edge_in_service) {
  const int n = graph.num_nodes();
  Adjacency adj;
  adj.offsets.assign(n + 1, 0);
  const auto& edges = graph.edges();
  for (size_t k = 0; k < edges.size(); ++k) {
    if (!edge_in_service[k] || edges[k].from == edges[k].to) continue;
    ++adj.offsets[edges[k].from + 1];
    ++adj.offsets[edges[k].to + 1];
  }
  for (int v = 0; v < n; ++v) adj.offsets[v + 1] += adj.offsets[v];
  adj.neighbors.resize(adj.offsets[n]);
  std::vector<int> fill(adj.offsets.begin(), adj.offsets.end() - 1);
  for (size_t k = 0; k < edges.size(); ++k) {
    if (!edge_in_service[k] || edges[k].from == edges[k].to) continue;
    adj.neighbors[fill[edges[k].from]++] = edges[k].to;
    adj.neighbors[fill[edges[k].to]++] = edges[k].from;
  }
  return adj;
}

std::vector<int> ComponentLabels(const Adjacency& adjacency) {
  const int n = adjacency.num_nodes();
  std::vector<int> label(n, -1);
  std::vector<int> stack;
  int next = 0;
  for (int start = 0; start < n; ++start) {
    if (label[start] >= 0) continue;
    label[start] = next;
    stack.push_back(start);
    while (!stack.empty()) {
      const int v = stack.back();
      stack.pop_back();
      for (int k = adjacency.offsets[v]; k < adjacency.offsets[v + 1]; ++k) {
        const int w = adjacency.neighbors[k];
        if (label[w] < 0) {
          label[w] = next;
          stack.push_back(w);
        }
      }
    }
    ++next;
  }
  return label;
}

void BfsHops(const Adjacency& adjacency, int source, int removed, std::vector<int>& distance,
             std::vector<int>& queue) {
  std::fill(distance.begin(), distance.end(), -1);
  if (source == removed) return;
  int head = 0;
  int tail = 0;
  distance[source] = 0;
  queue[tail++] = source;
  while (head < tail) {
    const int v = queue[head++];
    for (int k = adjacency.offsets[v]; k < adjacency.offsets[v + 1]; ++k) {
      const int w = adjacency.neighbors[k];
      if (w == removed || distance[w] >= 0) continue;
      distance[w] = distance[v] + 1;
      queue[tail++] = w;
    }
  }
}

}  // namespace gridrl::metrics
