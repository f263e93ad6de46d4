#!/bin/bash
# Trigger every restore (seed issue 4): each kubectl call bounded, but one.
set -euo pipefail
for rd in $(timeout 30 kubectl get replicationdestination -A -o name); do
  timeout 30 kubectl patch "$rd" --type merge -p '{"spec":{"trigger":{"manual":"restore-now"}}}'
done
kubectl wait --for=condition=Synchronizing=False replicationdestination --all -A
