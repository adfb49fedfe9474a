package vidmm.internal;

import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

import kmd.api.AdapterInfo;
import kmd.api.AllocationDescription;
import kmd.api.AllocationRequest;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.PagingOperation;
import kmd.api.VidPnSourceMode;
import kmd.api.callbacks.DxgkCallbacks;
import vidmm.VidMmEvents;

/**
 * How VidMm sees an attached driver context: every DDI call runs through the context's
 * {@link DdiGuard} (TdrDdiDelay) and is timed, and posted as a {@link VidMmEvents#DDI_CALL} event.
 * The driver's exceptions pass through unchanged. Written out method by method (not a reflective
 * proxy: a proxy's reflection and method lookup cost more than a DDI of the reference driver).
 */
final class DdiTracing implements KernelModeDriver {
    /** A DDI call with its result. */
    private interface Ddi<T> {
        T run();
    }

    private final KernelModeDriver driver;
    private final String name;
    private final DdiGuard guard;
    private final BiConsumer<String, Supplier<Map<String, Object>>> post;

    private DdiTracing(KernelModeDriver driver, String name, DdiGuard guard,
                       BiConsumer<String, Supplier<Map<String, Object>>> post) {
        this.driver = driver;
        this.name = name;
        this.guard = guard;
        this.post = post;
    }

    /** {@code post} builds the event's properties only when there is someone to post to. */
    static KernelModeDriver wrap(KernelModeDriver driver, String name, DdiGuard guard,
                                 BiConsumer<String, Supplier<Map<String, Object>>> post) {
        return new DdiTracing(driver, name, guard, post);
    }

    @SuppressWarnings("unchecked")
    private <T> T call(String ddi, Ddi<T> call) {
        long start = System.nanoTime();
        try {
            return (T) guard.call(ddi, call::run);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + ddi, e);
        } catch (Throwable checked) {
            throw new IllegalStateException(ddi + " threw " + checked, checked); // a DDI declares no checked exception
        } finally {
            long duration = System.nanoTime() - start;
            post.accept(VidMmEvents.DDI_CALL, () -> VidMmEventProperties.ddi(name, ddi, start, duration));
        }
    }

    private void run(String ddi, Runnable call) {
        call(ddi, () -> {
            call.run();
            return null;
        });
    }

    @Override
    public AdapterInfo queryAdapterInfo() {
        return call("DxgkDdiQueryAdapterInfo", driver::queryAdapterInfo);
    }

    @Override
    public void startDevice(DxgkCallbacks callbacks) {
        run("DxgkDdiStartDevice", () -> driver.startDevice(callbacks));
    }

    @Override
    public void stopDevice() {
        run("DxgkDdiStopDevice", driver::stopDevice);
    }

    @Override
    public long createProcess(int pid, int[] pasids) {
        return call("DxgkDdiCreateProcess", () -> driver.createProcess(pid, pasids));
    }

    @Override
    public void destroyProcess(long hProcess) {
        run("DxgkDdiDestroyProcess", () -> driver.destroyProcess(hProcess));
    }

    @Override
    public long createDevice(long hProcess, int ownerPasid) {
        return call("DxgkDdiCreateDevice", () -> driver.createDevice(hProcess, ownerPasid));
    }

    @Override
    public void destroyDevice(long hDevice) {
        run("DxgkDdiDestroyDevice", () -> driver.destroyDevice(hDevice));
    }

    @Override
    public AllocationDescription createAllocation(long hDevice, AllocationRequest request) {
        return call("DxgkDdiCreateAllocation", () -> driver.createAllocation(hDevice, request));
    }

    @Override
    public long openAllocation(long hDevice, long hAllocation, boolean create) {
        return call("DxgkDdiOpenAllocation", () -> driver.openAllocation(hDevice, hAllocation, create));
    }

    @Override
    public void closeAllocation(long hDevice, long hDeviceSpecificAllocation) {
        run("DxgkDdiCloseAllocation", () -> driver.closeAllocation(hDevice, hDeviceSpecificAllocation));
    }

    @Override
    public void destroyAllocation(long hAllocation) {
        run("DxgkDdiDestroyAllocation", () -> driver.destroyAllocation(hAllocation));
    }

    @Override
    public void buildPagingBuffer(PagingOperation operation, long pagingFenceValue) {
        run("DxgkDdiBuildPagingBuffer", () -> driver.buildPagingBuffer(operation, pagingFenceValue));
    }

    @Override
    public long createContext(long hDevice, int nodeOrdinal, int engineAffinity) {
        return call("DxgkDdiCreateContext", () -> driver.createContext(hDevice, nodeOrdinal, engineAffinity));
    }

    @Override
    public void destroyContext(long hContext) {
        run("DxgkDdiDestroyContext", () -> driver.destroyContext(hContext));
    }

    @Override
    public void submitCommand(long hContext, List<DmaCommand> commands, long fenceValue) {
        run("DxgkDdiSubmitCommand", () -> driver.submitCommand(hContext, commands, fenceValue));
    }

    @Override
    public void submitCommandVirtual(long hContext, long dmaBufferVirtualAddress, int dmaBufferSize, long fenceValue) {
        run("DxgkDdiSubmitCommandVirtual", () -> driver.submitCommandVirtual(hContext, dmaBufferVirtualAddress, dmaBufferSize,
                fenceValue));
    }

    @Override
    public boolean queryEngineStatus(EngineNode node) {
        return call("DxgkDdiQueryEngineStatus", () -> driver.queryEngineStatus(node));
    }

    @Override
    public void resetEngine(EngineNode node) {
        run("DxgkDdiResetEngine", () -> driver.resetEngine(node));
    }

    @Override
    public List<VidPnSourceMode> queryVidPnSourceModes() {
        return call("DxgkDdiQueryVidPnSourceModes", driver::queryVidPnSourceModes);
    }

    @Override
    public void setVidPnSourceAddress(int sourceId, int segmentId, long offset) {
        run("DxgkDdiSetVidPnSourceAddress", () -> driver.setVidPnSourceAddress(sourceId, segmentId, offset));
    }

    @Override
    public void beginExclusiveAccess() {
        run("DxgkDdiBeginExclusiveAccess", driver::beginExclusiveAccess);
    }

    @Override
    public void endExclusiveAccess() {
        run("DxgkDdiEndExclusiveAccess", driver::endExclusiveAccess);
    }

    @Override
    public String toString() {
        return name + " (through VidMm's DDI guard)";
    }
}
