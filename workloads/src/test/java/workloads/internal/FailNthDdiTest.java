package workloads.internal;

import kmd.reference.internal.ReferenceFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import kmd.api.KernelModeDriver;
import kmd.reference.internal.ReferenceKmd;
import os.memmgr.FrameCounts;
import os.memmgr.ProcessInfo;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import umd.reference.internal.ReferenceUmd;
import vidmm.AdapterStatus;
import vidmm.internal.VideoMemoryManager;

/**
 * Fail the Nth DDI call, for N = 1, 2, ... until a scenario runs through: each time the failure
 * reaches the scenario as an error with a message (or is absorbed), nothing hangs, and ending every
 * process returns every frame, PASID and allocation.
 */
class FailNthDdiTest {
    @TempDir
    Path dir;

    /** The reference KMD, failing its {@code n}th DDI call. */
    static KernelModeDriver failingCall(KernelModeDriver driver, int n, AtomicInteger calls) {
        return (KernelModeDriver) Proxy.newProxyInstance(KernelModeDriver.class.getClassLoader(),
                new Class<?>[] {KernelModeDriver.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.invoke(driver, args);
                    }
                    if (calls.incrementAndGet() == n) {
                        throw new IllegalStateException("injected failure of DDI call " + n + " (" + method.getName() + ")");
                    }
                    try {
                        return method.invoke(driver, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    static Scenario scenario(String name) {
        return switch (name) {
            case "gradient" -> new GradientScenario();
            case "sharing" -> new SharingScenario();
            case "tiled" -> new TiledScenario();
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"gradient", "sharing", "tiled"})
    void everyDdiCallOfAScenarioCanFailCleanly(String name) throws Exception {
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try {
            int failures = 0;
            for (int n = 1; ; n++) {
                assertTrue(n < 2000, name + " never ran through");
                if (runOnce(runner, name, n)) {
                    assertTrue(failures > 0, "failing DDI call 1 did not stop " + name);
                    System.out.println("fail-nth-ddi " + name + ": " + failures + " failure points, each failed cleanly");
                    return;
                }
                failures++;
            }
        } finally {
            runner.shutdownNow();
        }
    }

    /**
     * A swap to a better driver whose Nth DDI call fails (during StartDevice or the replay of a
     * displayed gradient): it is refused and the old driver keeps everything, or it takes over with
     * everything; either way the picture and the allocations are as they were.
     */
    @org.junit.jupiter.api.Test
    void everyDdiCallOfASwapCanFailCleanly() throws Exception {
        int failures = 0;
        for (int n = 1; ; n++) {
            assertTrue(n < 2000, "the swap never went through");
            TestMachine wired = TestMachine.builder().aperturePages(65536).sources(2, 320, 240).build();
            IommuUnit iommu = wired.iommu();
            WindowsMemoryManager mm = wired.os();
            SimulatedGpu gpu = wired.gpu();
            VideoMemoryManager vidmm = wired.vidmm();
            FrameCounts start = mm.frames();
            try {
                Machine machine = new Machine(mm, new ReferenceUmd(wired.thunks()), gpu, iommu);
                new GradientScenario().run(machine, Map.of("out", dir.resolve("swap" + n + ".png").toString(), "keep", "true"),
                        new Report(mm.frames()));
                int[] before = gpu.scanout(0).rgb();
                var allocations = vidmm.allocations();
                AtomicInteger calls = new AtomicInteger();
                wired.offer(failingCall(ReferenceFixture.kmd(gpu, TestMachine.IOMMU, 64L << 20), n, calls), 99L, 9, "failing");
                boolean attached = vidmm.drivers().stream().anyMatch(d -> d.name().equals("failing") && d.attached());
                assertEquals(AdapterStatus.State.STARTED, vidmm.adapter().state(),
                        "swap with DDI call " + n + " failing: a driver is attached");
                assertTrue(java.util.Arrays.equals(before, gpu.scanout(0).rgb()), "swap with DDI call " + n
                        + " failing: the same picture on screen");
                assertEquals(allocations, vidmm.allocations(), "swap with DDI call " + n + " failing: the same allocations");
                for (ProcessInfo p : mm.processes()) {
                    mm.kill(p.pid());
                }
                assertEquals(start, mm.frames(), "swap with DDI call " + n + " failing: every frame comes back");
                assertTrue(iommu.boundPasids().isEmpty());
                if (attached && calls.get() < n) {
                    assertTrue(failures > 0, "failing DDI call 1 did not stop the swap");
                    return;
                }
                failures++;
            } finally {
                wired.close();
            }
        }
    }

    /** Runs the scenario with DDI call {@code n} failing; returns whether it ran through (the failure came too late). */
    boolean runOnce(ExecutorService runner, String name, int n) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        TestMachine wired = TestMachine.builder().aperturePages(65536).sources(2, 320, 240)
                .driver(adapter -> failingCall(ReferenceFixture.kmd(adapter, TestMachine.IOMMU, 64L << 20), n, calls), "failing")
                .build();
        IommuUnit iommu = wired.iommu();
        WindowsMemoryManager mm = wired.os();
        SimulatedGpu gpu = wired.gpu();
        VideoMemoryManager vidmm = wired.vidmm();
        FrameCounts start = mm.frames();
        Machine machine = new Machine(mm, new ReferenceUmd(wired.thunks()), gpu, iommu);
        boolean ranThrough;
        try {
            Future<?> run = runner.submit(() -> {
                scenario(name).run(machine, Map.of("out", dir.resolve(name + n + ".png").toString()), new Report(mm.frames()));
                return null;
            });
            try {
                run.get(60, TimeUnit.SECONDS);
                ranThrough = calls.get() < n;
            } catch (TimeoutException stuck) {
                run.cancel(true);
                fail(name + " with DDI call " + n + " failing did not finish within 60 s");
                return false;
            } catch (java.util.concurrent.ExecutionException failed) {
                assertNotNull(failed.getCause().getMessage(), name + " with DDI call " + n + ": an error without a message");
                ranThrough = false;
            }
            for (ProcessInfo p : mm.processes()) {
                mm.kill(p.pid());
            }
            assertEquals(start, mm.frames(), name + " with DDI call " + n + " failing: every frame comes back");
            assertTrue(iommu.boundPasids().isEmpty(), name + " with DDI call " + n + " failing: every PASID comes back");
            assertTrue(vidmm.allocations().isEmpty(), name + " with DDI call " + n + " failing: no allocation is left");
        } finally {
            wired.close();
        }
        return ranThrough;
    }
}
