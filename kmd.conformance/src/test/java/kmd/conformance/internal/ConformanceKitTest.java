package kmd.conformance.internal;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import kmd.alt.internal.ContosoDriver;
import kmd.api.DisplayDriver;
import kmd.conformance.CheckResult;
import kmd.conformance.Report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kit proves itself: the reference and Contoso drivers, and a correct kmd.sdk driver, pass
 * every check; each deliberately broken driver fails the check that names its defect.
 */
class ConformanceKitTest {
    private static Report run(DisplayDriver driver, String name) {
        try (Machine m = new Machine()) {
            return Battery.run(driver, name, m.gpu, m.mm);
        }
    }

    private static String describe(Report r) {
        return String.join("\n", r.lines());
    }

    @Test
    void theReferenceDriverPassesEveryCheck() {
        Report r = run(Fixtures.reference(), "reference");
        assertEquals(0, r.failed(), describe(r));
        assertEquals(Battery.names().size(), r.results().size());
    }

    /** A DDI that never returns fails the checks that call it, by name, and the run goes on (as VidMm's TdrDdiDelay would). */
    @Test
    void aDriverThatNeverReturnsFromADdiFailsThoseChecksAndTheRunEnds() {
        Report r;
        try (Machine m = new Machine()) {
            r = Battery.run(Fixtures.driver(Fixtures.HangsInSubmit::new), "hangs", m.gpu, m.mm, 200);
        }
        assertEquals(Battery.names().size(), r.results().size(), describe(r));
        assertTrue(r.failure("fence.after-work").failure().contains("DxgkDdiSubmitCommand did not return within 200 ms"),
                describe(r));
        assertNotNull(r.failure("pasid.isolation"), describe(r));
        assertTrue(r.results().stream().anyMatch(c -> c.name().equals("caps") && c.passed()), describe(r));
        assertTrue(r.results().stream().anyMatch(c -> c.name().equals("paging.fill") && c.passed()), describe(r));
    }

    @Test
    void theContosoDriverPassesEveryCheck() {
        Report r = run(new ContosoDriver(), "contoso");
        assertEquals(0, r.failed(), describe(r));
    }

    @Test
    void aCorrectSdkDriverPassesEveryCheck() {
        Report r = run(Fixtures.driver(Fixtures.Good::new), "fixture");
        assertEquals(0, r.failed(), describe(r));
    }

    /** Its COPY contexts run on a render engine: completions and faults still name the context's node. */
    @Test
    void aSdkDriverThatRunsEveryNodeOnTheRenderEnginesPassesEveryCheck() {
        Report r = run(Fixtures.driver(Fixtures.OneEngineType::new), "one engine type");
        assertEquals(0, r.failed(), describe(r));
    }

    private static Report runUmd(java.util.function.Function<UmdMachine, umd.api.UserModeDriver> umd) {
        try (UmdMachine m = new UmdMachine()) {
            return Battery.runUmd(umd.apply(m), "umd", m.gpu, m.vidmm, m.mm);
        }
    }

    @Test
    void theReferenceUmdPassesEveryUmdCheck() {
        Report r = runUmd(m -> m.umd);
        assertEquals(0, r.failed(), describe(r));
        assertEquals(Battery.umdNames().size(), r.results().size());
    }

    @Test
    void aUmdDeafToTrimNotificationsFailsUmdTrim() {
        Report r = runUmd(m -> UmdFixtures.deafToTrims(m.thunks));
        assertNotNull(r.failure("umd.trim"), describe(r));
    }

    static Stream<Arguments> brokenUmds() {
        return Stream.of(
                Arguments.of("skips GPU waits", (java.util.function.UnaryOperator<umd.api.UmdDevice>) UmdFixtures::ignoresGpuWaits, "umd.fence"),
                Arguments.of("maps every tile to pool tile 0", (java.util.function.UnaryOperator<umd.api.UmdDevice>) UmdFixtures::mapsEveryTileToPoolTile0, "umd.tiled"),
                Arguments.of("drops presents", (java.util.function.UnaryOperator<umd.api.UmdDevice>) UmdFixtures::dropsPresents, "umd.present"),
                Arguments.of("leaks its device on close", (java.util.function.UnaryOperator<umd.api.UmdDevice>) UmdFixtures::leaksOnClose, "umd.close"));
    }

    @ParameterizedTest(name = "a UMD that {0} fails {2}")
    @MethodSource("brokenUmds")
    void aBrokenUmdFailsTheCheckOfItsDefect(String defect, java.util.function.UnaryOperator<umd.api.UmdDevice> broken, String check) {
        Report r = runUmd(m -> UmdFixtures.broken(m.umd, broken));
        assertNotNull(r.failure(check), "the kit did not fail " + check + " for a UMD that " + defect + ":\n" + describe(r));
    }

    static Stream<Arguments> broken() {
        return Stream.of(
                Arguments.of("completes fences early", Fixtures.driver(Fixtures.EarlyFence::new), "fence.after-work"),
                Arguments.of("runs the previous submission again", Fixtures.driver(Fixtures.RerunsPrevious::new),
                        "submission.once-in-order"),
                Arguments.of("reports faults with the wrong FaultedFenceId", Fixtures.driver(Fixtures.WrongFaultedFenceId::new),
                        "fault.fetch"),
                Arguments.of("reports faults on the other node", Fixtures.driver(Fixtures.WrongFaultNode::new), "fault.fetch"),
                Arguments.of("uses a foreign PASID", Fixtures.driver(Fixtures.ForeignPasid::new), "pasid.isolation"),
                Arguments.of("reports a fault at the wrong VA", Fixtures.driver(Fixtures.WrongFaultVa::new), "fault.invalid-va"),
                Arguments.of("reports faults without the IOMMU and reset flags", Fixtures.driver(Fixtures.NoResetInFaultFlags::new),
                        "fault.invalid-va"),
                Arguments.of("maps the aperture off by one page", Fixtures.driver(Fixtures.ApertureOffByOne::new), "paging.aperture"),
                Arguments.of("ignores exclusive access", Fixtures.driver(Fixtures.IgnoresExclusiveAccess::new), "exclusive-access"),
                Arguments.of("reports GpuMmu caps", Fixtures.driver(Fixtures.GpuMmuCaps::new), "caps"),
                Arguments.of("drops the replayed primary", Fixtures.dropsReplayedPrimary(), "swap.replay"));
    }

    @ParameterizedTest(name = "a driver that {0} fails {2}")
    @MethodSource("broken")
    void aBrokenDriverFailsTheCheckOfItsDefect(String defect, DisplayDriver driver, String check) {
        Report r = run(driver, "broken");
        CheckResult failed = r.failure(check);
        assertNotNull(failed, "the kit did not fail " + check + " for a driver that " + defect + ":\n" + describe(r));
        assertTrue(failed.line().startsWith("FAIL " + check + ": "), failed.line());
        List<String> lines = r.lines();
        assertEquals(r.passed() + " passed, " + r.failed() + " failed", lines.get(lines.size() - 1));
    }

}
