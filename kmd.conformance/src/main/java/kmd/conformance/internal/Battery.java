package kmd.conformance.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import gpu.hw.EngineType;
import gpu.hw.GpuAdapter;
import kmd.api.DisplayDriver;
import kmd.conformance.CheckResult;
import kmd.conformance.Report;
import os.memmgr.MemoryManager;
import umd.api.UserModeDriver;
import vidmm.VidMm;

/**
 * The checks, in order, and how one runs: in a fresh session each, a failure in one line; for a
 * KMD the engines are reset between checks so that one check's failure does not spill into the next.
 */
public final class Battery {
    private static final List<Check<Session>> KMD = kmd();
    private static final List<Check<UmdSession>> UMD = umd();

    private Battery() {
    }

    private static List<Check<Session>> kmd() {
        List<Check<Session>> checks = new ArrayList<>();
        checks.addAll(LifecycleChecks.all());
        checks.addAll(IsolationChecks.all());
        checks.addAll(AllocationChecks.all());
        checks.addAll(PagingChecks.all());
        checks.addAll(FenceChecks.all());
        checks.addAll(FaultChecks.all());
        checks.addAll(ReplayChecks.all());
        checks.addAll(RefusalChecks.all());
        return List.copyOf(checks);
    }

    private static List<Check<UmdSession>> umd() {
        List<Check<UmdSession>> checks = new ArrayList<>();
        checks.addAll(UmdResourceChecks.all());
        checks.addAll(UmdDeviceChecks.all());
        return List.copyOf(checks);
    }

    public static List<String> names() {
        return KMD.stream().map(Check::name).toList();
    }

    public static List<String> umdNames() {
        return UMD.stream().map(Check::name).toList();
    }

    /**
     * Runs every KMD check against {@code driver} on {@code gpu}, which nobody else drives meanwhile.
     * {@code mm} makes the kit's processes (and ends them after each check).
     */
    public static Report run(DisplayDriver driver, String name, GpuAdapter gpu, MemoryManager mm) {
        return run(driver, name, gpu, mm, Session.DDI_MILLIS);
    }

    /** As {@link #run(DisplayDriver, String, GpuAdapter, MemoryManager)}, giving a DDI up after {@code ddiMillis}. */
    static Report run(DisplayDriver driver, String name, GpuAdapter gpu, MemoryManager mm, long ddiMillis) {
        return new Report(name, gpu.index(), run(KMD, () -> Session.start(driver, gpu, mm, ddiMillis), () -> {
            for (EngineType type : EngineType.values()) {
                gpu.resetEngine(type);
            }
        }));
    }

    /**
     * Runs every UMD check against {@code umd} on adapter {@code gpu} (the hardware, to look at its
     * scanout), through the kernel as it is: {@code vidmm} with whichever KMD it attached.
     */
    public static Report runUmd(UserModeDriver umd, String name, GpuAdapter gpu, VidMm vidmm, MemoryManager mm) {
        return new Report(name, gpu.index(), run(UMD, () -> UmdSession.open(umd, gpu, vidmm, mm), () -> {
        }));
    }

    private static <S extends AutoCloseable> List<CheckResult> run(List<Check<S>> checks, Supplier<S> open, Runnable between) {
        List<CheckResult> results = new ArrayList<>();
        for (Check<S> check : checks) {
            long start = System.nanoTime();
            String failure = null;
            try (S s = open.get()) {
                check.body().accept(s);
                if (s instanceof Session k) {
                    k.interrupts().failIfViolated();
                }
            } catch (CheckFailed e) {
                failure = e.getMessage();
            } catch (Exception e) {
                failure = "a call threw where it must not: " + oneLine(e);
            } finally {
                between.run();
            }
            results.add(new CheckResult(check.name(), failure, (System.nanoTime() - start) / 1_000_000));
        }
        return results;
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        return (m == null ? e.getClass().getSimpleName() : m).replace('\n', ' ');
    }
}
