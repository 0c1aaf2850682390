# Ray image for deploy/kubernetes/raycluster.yaml: Ray's own image plus the gridrl client with its
# [ray] extra (RLlib, torch) and the examples; the gridrl-server runs beside it (docker/Dockerfile).
#   podman build --format docker -t gridrl-ray:latest -f docker/ray.Dockerfile .
FROM rayproject/ray:2.60.0-py311-cpu
COPY --chown=ray proto /tmp/gridrl/proto
COPY --chown=ray clients/python /tmp/gridrl/clients/python
RUN pip install --no-cache-dir "/tmp/gridrl/clients/python[ray]" \
 && sudo mkdir -p /opt/gridrl && sudo cp -r /tmp/gridrl/clients/python/examples /opt/gridrl/ \
 && rm -rf /tmp/gridrl
