package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import kmd.api.AdapterInfo;
import kmd.api.DriverCaps;
import kmd.api.VidMmCaps;

class CapsValidatorTest {
    @ParameterizedTest(name = "va={0} iommu={1} gpummu={2} secureSupported={3} secureRequired={4} -> {5}")
    @CsvSource({
            "true,  true,  false, false, false, ",
            "true,  true,  false, true,  true,  ",
            "false, true,  false, false, false, VirtualAddressingSupported",
            "true,  true,  true,  false, false, both",
            "true,  false, false, false, false, neither",
            "true,  false, true,  false, false, GpuMmu model is not modelled",
            "true,  true,  false, false, true,  IoMmuSecureModeRequired"})
    void rules(boolean va, boolean iommu, boolean gpummu, boolean secureSupported, boolean secureRequired, String refusal) {
        AdapterInfo info = new AdapterInfo("test", new VidMmCaps(va, iommu, gpummu, secureSupported, secureRequired),
                new DriverCaps(1 << 20), List.of());
        String why = CapsValidator.refusal(info);
        if (refusal == null) {
            assertNull(why);
        } else {
            assertTrue(why != null && why.contains(refusal), why);
        }
    }

    @ParameterizedTest
    @CsvSource({"-1"})
    void negativeCommitLimitIsRefused(long limit) {
        AdapterInfo info = new AdapterInfo("t", new VidMmCaps(true, true, false, false, false), new DriverCaps(limit), List.of());
        assertEquals("ApertureSegmentCommitLimit is negative: -1", CapsValidator.refusal(info));
    }
}
