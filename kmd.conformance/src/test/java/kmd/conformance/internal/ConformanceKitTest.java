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

    static Stream<Arguments> broken() {
        return Stream.of(
                Arguments.of("completes fences early", Fixtures.driver(Fixtures.EarlyFence::new), "fence.after-work"),
                Arguments.of("uses a foreign PASID", Fixtures.driver(Fixtures.ForeignPasid::new), "pasid.isolation"),
                Arguments.of("reports a fault at the wrong VA", Fixtures.driver(Fixtures.WrongFaultVa::new), "fault.invalid-va"),
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
