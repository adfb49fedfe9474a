package vidmm;

import kmd.api.EngineNode;

/**
 * A context of a device (D3DKMTCreateContext): one node of one physical GPU, with its own fence
 * timeline.
 *
 * @param handle          VidMm's context handle
 * @param device          its device
 * @param pid             its device's process
 * @param node            the engine node it runs on
 * @param gpu             the physical GPU of the adapter it runs on (0 unless the adapter is linked)
 * @param submittedFence  the last fence value submitted on it
 * @param completedFence  the last fence value of it the GPU completed
 * @param status          active, or in error after a fault, a timeout or a cut-off
 * @param adapter         the adapter of its device
 */
public record ContextInfo(long handle, long device, int pid, EngineNode node, int gpu, long submittedFence,
                          long completedFence, Status status, int adapter) {
    public enum Status { ACTIVE, ERROR }
}
