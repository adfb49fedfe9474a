package kmd.conformance.internal;

import java.util.ArrayList;
import java.util.List;

import gpu.hw.EngineType;
import gpu.hw.GpuAdapter;
import kmd.api.DisplayDriver;
import kmd.conformance.CheckResult;
import kmd.conformance.Report;
import os.memmgr.MemoryManager;

/**
 * The checks, in order, and how one runs: a freshly added and started driver context each
 * ({@link Session}), a failure in one line, and the engines reset between checks so that one
 * check's failure does not spill into the next.
 */
public final class Battery {
    private static final List<Check> CHECKS = all();

    private Battery() {
    }

    private static List<Check> all() {
        List<Check> checks = new ArrayList<>();
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

    public static List<String> names() {
        return CHECKS.stream().map(Check::name).toList();
    }

    /**
     * Runs every check against {@code driver} on {@code gpu}, which nobody else drives meanwhile.
     * {@code mm} makes the kit's processes (and ends them after each check).
     */
    public static Report run(DisplayDriver driver, String name, GpuAdapter gpu, MemoryManager mm) {
        List<CheckResult> results = new ArrayList<>();
        for (Check check : CHECKS) {
            long start = System.nanoTime();
            String failure = null;
            try (Session s = Session.start(driver, name, gpu, mm)) {
                check.body().accept(s);
                s.interrupts().failIfViolated();
            } catch (CheckFailed e) {
                failure = e.getMessage();
            } catch (RuntimeException e) {
                failure = "a DDI threw where it must not: " + oneLine(e);
            } finally {
                for (EngineType type : EngineType.values()) {
                    gpu.resetEngine(type);
                }
            }
            results.add(new CheckResult(check.name(), failure, (System.nanoTime() - start) / 1_000_000));
        }
        return new Report(name, gpu.index(), results);
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        return (m == null ? e.getClass().getSimpleName() : m).replace('\n', ' ');
    }
}
