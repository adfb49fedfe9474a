package gpu.hw;

import java.util.List;

/**
 * A command buffer queued on an engine.
 *
 * @param pasid      the PASID every access is tagged with
 * @param contextId  the driver's identifier of the submitting context, echoed in interrupts
 * @param commands   what to execute, in order
 * @param fenceValue the submission fence value reported by the completion interrupt
 */
public record Submission(int pasid, long contextId, List<GpuCommand> commands, long fenceValue) {
    public Submission {
        commands = List.copyOf(commands);
    }
}
