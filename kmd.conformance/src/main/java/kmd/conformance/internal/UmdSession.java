package kmd.conformance.internal;

import java.util.ArrayList;
import java.util.List;

import gpu.hw.GpuAdapter;
import os.memmgr.MemoryManager;
import umd.api.CommandList;
import umd.api.UmdAdapter;
import umd.api.UmdDevice;
import umd.api.UserModeDriver;
import umd.api.WaitResult;
import vidmm.VidMm;

import static kmd.conformance.internal.CheckFailed.require;

/**
 * A process the kit made for one UMD check, with the adapter the UMD opened for it and the devices
 * the check created; closing it closes the devices and ends the process. The UMD reaches the kernel
 * as an application's would: through the thunks, VidMm and whichever KMD VidMm attached.
 */
final class UmdSession implements AutoCloseable {
    final UserModeDriver umd;
    final GpuAdapter gpu;
    final VidMm vidmm;
    final MemoryManager mm;
    final int pid;
    final UmdAdapter adapter;
    private final List<UmdDevice> devices = new ArrayList<>();

    private UmdSession(UserModeDriver umd, GpuAdapter gpu, VidMm vidmm, MemoryManager mm, int pid, UmdAdapter adapter) {
        this.umd = umd;
        this.gpu = gpu;
        this.vidmm = vidmm;
        this.mm = mm;
        this.pid = pid;
        this.adapter = adapter;
    }

    static UmdSession open(UserModeDriver umd, GpuAdapter gpu, VidMm vidmm, MemoryManager mm) {
        int pid = mm.spawn("umd-conformance");
        try {
            UmdAdapter adapter = umd.openAdapter(pid, gpu.index());
            require(adapter != null, "openAdapter returned nothing");
            return new UmdSession(umd, gpu, vidmm, mm, pid, adapter);
        } catch (RuntimeException e) {
            mm.kill(pid);
            throw e;
        }
    }

    UmdDevice device() {
        UmdDevice d = adapter.createDevice();
        require(d != null, "createDevice returned nothing");
        devices.add(d);
        return d;
    }

    byte[] read(long va, int length) {
        return mm.addressSpace(pid).read(va, length);
    }

    void write(long va, byte[] data) {
        mm.addressSpace(pid).write(va, data);
    }

    /** Submits and waits (up to 5 s) for the submission's fence to complete. */
    void run(UmdDevice device, CommandList commands, String what) {
        WaitResult r = device.waitForFence(device.submit(commands), Session.WAIT_MILLIS);
        require(r == WaitResult.COMPLETED, what + ": the submission's fence answered " + r);
    }

    /** Fails unless the process's memory at {@code va} holds {@code expected}. */
    void expect(long va, byte[] expected, String what) {
        Bytes.expect(read(va, expected.length), va, expected, what);
    }

    @Override
    public void close() {
        for (UmdDevice d : devices) {
            try {
                d.close();
            } catch (RuntimeException e) {
                // closing: the check already reported what went wrong
            }
        }
        mm.kill(pid);
    }
}
