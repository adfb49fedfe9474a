package os.memmgr.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import iommu.hw.Access;
import iommu.hw.DmaResult;
import iommu.hw.Translation;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryException;
import os.memmgr.PageProtection;

/**
 * One permission rule for CPU and GPU: every protection x every page state x every path (CPU
 * read / write, IOMMU translation for read / write / execute, DMA read / write through the IOMMU)
 * against a reference model of x86's answer. All paths of one access agree, whatever the page's
 * residency, an allowed read returns the page's bytes (zeros for a page never touched), and an
 * IOMMU refusal has the same fault kind whether the page was never touched, resident or paged out.
 */
class PermissionRuleTest {
    static final int PAGE = 4096;

    enum State { NEVER_TOUCHED, RESIDENT, TRIMMED, DECOMMITTED }

    enum Path { CPU_READ, CPU_WRITE, TRANSLATE_READ, TRANSLATE_WRITE, TRANSLATE_EXECUTE, DMA_READ, DMA_WRITE }

    @TempDir
    java.nio.file.Path dir;
    Machine m;

    @AfterEach
    void stop() {
        if (m != null) {
            m.shutdown();
        }
    }

    /** The reference: what a present user leaf written for the protection allows (nothing, if not committed). */
    static boolean expected(PageProtection p, State state, Access access) {
        if (state == State.DECOMMITTED || p == PageProtection.NOACCESS) {
            return false;
        }
        return switch (access) {
            case READ -> true; // x86: a present user leaf is readable, PAGE_EXECUTE included
            case WRITE -> p.writable();
            case EXECUTE -> p.executable();
        };
    }

    static Access access(Path path) {
        return switch (path) {
            case CPU_READ, TRANSLATE_READ, DMA_READ -> Access.READ;
            case CPU_WRITE, TRANSLATE_WRITE, DMA_WRITE -> Access.WRITE;
            case TRANSLATE_EXECUTE -> Access.EXECUTE;
        };
    }

    /** The IOMMU fault kind of each refusal, by protection and path: the same whatever the page's state. */
    final java.util.Map<String, String> kinds = new java.util.TreeMap<>();

    @Test
    void everyPathGivesTheSameVerdictForEveryProtectionAndState() {
        m = Machine.withPagefile(64L << 20, dir, 64);
        List<String> disagreements = new ArrayList<>();
        for (PageProtection p : PageProtection.values()) {
            for (State state : State.values()) {
                disagreements.addAll(run(p, state));
            }
        }
        assertTrue(disagreements.isEmpty(), disagreements.size() + " disagreements:\n" + String.join("\n", disagreements));
    }

    /** Records a refusal's fault kind; a second state with another kind for the same protection and path disagrees. */
    void kind(List<String> out, PageProtection p, State state, Path path, String kind) {
        if (state == State.DECOMMITTED) {
            return; // nothing is committed there: a different page altogether
        }
        String key = p + " " + path;
        String before = kinds.putIfAbsent(key, kind + " (" + state + ")");
        if (before != null && !before.startsWith(kind + " ")) {
            out.add(String.format("%s page %s: %s refused with %s, but %s", p, state, path, kind, before));
        }
    }

    @Test
    void theWindowsNamesParseToTheSameProtections() {
        assertEquals(PageProtection.EXECUTE, PageProtection.parse("PAGE_EXECUTE"));
        assertEquals(PageProtection.EXECUTE_READ, PageProtection.parse("PAGE_EXECUTE_READ"));
        assertEquals(PageProtection.NOACCESS, PageProtection.parse("PAGE_NOACCESS"));
        assertEquals(PageProtection.READWRITE, PageProtection.parse("rw"));
    }

    /** One process: a page per path, put in {@code state} with protection {@code p}; what each path answered that the model did not. */
    List<String> run(PageProtection p, State state) {
        int pid = m.mm.spawn(p + "-" + state);
        int pasid = m.mm.bindIommu(pid);
        AddressSpace as = m.mm.addressSpace(pid);
        int pages = Path.values().length;
        long va = as.allocate((long) pages * PAGE, state == State.NEVER_TOUCHED ? p : PageProtection.READWRITE);
        byte[] data = PagingTest.pattern(p.ordinal() * 10 + state.ordinal() + 1, pages * PAGE);
        if (state != State.NEVER_TOUCHED) {
            as.write(va, data);
            if (state == State.DECOMMITTED) {
                as.decommit(va, (long) pages * PAGE);
            } else {
                as.protect(va, (long) pages * PAGE, p);
            }
            if (state == State.TRIMMED) {
                m.mm.trim(pid, 10_000);
            }
        }
        List<String> out = new ArrayList<>();
        for (Path path : Path.values()) {
            long at = va + (long) path.ordinal() * PAGE;
            byte[] want = state == State.NEVER_TOUCHED ? new byte[16]
                    : Arrays.copyOfRange(data, path.ordinal() * PAGE, path.ordinal() * PAGE + 16);
            boolean allowed;
            byte[] got = null;
            switch (path) {
                case CPU_READ -> {
                    try {
                        got = as.read(at, 16);
                        allowed = true;
                    } catch (MemoryException e) {
                        allowed = false;
                    }
                }
                case CPU_WRITE -> {
                    try {
                        as.write(at, new byte[16]);
                        allowed = true;
                    } catch (MemoryException e) {
                        allowed = false;
                    }
                }
                case TRANSLATE_READ, TRANSLATE_WRITE, TRANSLATE_EXECUTE -> {
                    Translation t = m.iommu.translate(pasid, at, access(path));
                    allowed = t instanceof Translation.Mapping;
                    if (t instanceof Translation.Fault f) {
                        kind(out, p, state, path, f.kind().name());
                    }
                }
                case DMA_READ -> {
                    byte[] b = new byte[16];
                    DmaResult r = m.iommu.read(pasid, at, b);
                    allowed = r.fault() == null;
                    got = b;
                    if (!allowed) {
                        kind(out, p, state, path, r.fault().kind().name());
                    }
                }
                case DMA_WRITE -> {
                    DmaResult r = m.iommu.write(pasid, at, new byte[16]);
                    allowed = r.fault() == null;
                    if (!allowed) {
                        kind(out, p, state, path, r.fault().kind().name());
                    }
                }
                default -> throw new IllegalStateException();
            }
            boolean model = expected(p, state, access(path));
            if (allowed != model) {
                out.add(String.format("%s page %s: %s %s, the model %s", p, state, path, allowed ? "allowed" : "refused",
                        model ? "allows" : "refuses"));
            } else if (allowed && got != null && !Arrays.equals(want, got)) {
                out.add(String.format("%s page %s: %s read %s, not %s", p, state, path, Arrays.toString(got),
                        Arrays.toString(want)));
            }
        }
        m.mm.kill(pid);
        return out;
    }

    /** The bytes of an allowed read come from the page, on both paths. */
    @Test
    void anExecuteOnlyPageReadsTheSameBytesByCpuAndGpu() {
        m = Machine.withPagefile(64L << 20, dir, 64);
        int pid = m.mm.spawn("x");
        int pasid = m.mm.bindIommu(pid);
        AddressSpace as = m.mm.addressSpace(pid);
        long va = as.allocate(2 * PAGE, PageProtection.READWRITE);
        as.write(va, "code".getBytes());
        as.protect(va, 2 * PAGE, PageProtection.EXECUTE);
        assertArrayEquals("code".getBytes(), as.read(va, 4), "PAGE_EXECUTE is readable, as x86 reads it");
        byte[] gpu = new byte[4];
        assertEquals(null, m.iommu.read(pasid, va + PAGE, gpu).fault(), "a never-touched execute page is demand zero");
        assertArrayEquals(new byte[4], gpu);
    }
}
