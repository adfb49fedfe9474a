package workloads.internal;

import java.util.ArrayList;
import java.util.List;

/** What a scenario did, as lines, plus the model's counters over the run. */
final class Report {
    private final List<String> lines = new ArrayList<>();
    private final os.memmgr.FrameCounts baseline;
    private long peakFrames;

    Report(os.memmgr.FrameCounts baseline) {
        this.baseline = baseline;
    }

    /** Records the frames the scenario's processes hold now (call while their work is alive). */
    void sample(os.memmgr.FrameCounts now) {
        long held = (now.privateFrames() + now.shared() + now.pageTables() + now.iommuTables())
                - (baseline.privateFrames() + baseline.shared() + baseline.pageTables() + baseline.iommuTables());
        peakFrames = Math.max(peakFrames, held);
    }

    /** The most frames (pages touched, page tables included) the scenario held at a sample. */
    long peakFrames() {
        return peakFrames;
    }

    void add(String line) {
        lines.add(line);
    }

    @Override
    public String toString() {
        return String.join("\n", lines);
    }
}
