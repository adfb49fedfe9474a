package vidmm.internal;

import java.lang.annotation.Annotation;

/** Configuration annotation instances for tests, as SCR would make them. */
final class Configs {
    private Configs() {
    }

    static VidMmConfig vidmm(long budgetMiB) {
        return new VidMmConfig() {
            @Override
            public long budgetMiB() {
                return budgetMiB;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return VidMmConfig.class;
            }
        };
    }

    static kmd.reference.internal.ReferenceKmdConfig referenceKmd(boolean ioMmu, boolean gpuMmu) {
        return new kmd.reference.internal.ReferenceKmdConfig() {
            public boolean virtualAddressingSupported() {
                return true;
            }

            public boolean ioMmuSupported() {
                return ioMmu;
            }

            public boolean gpuMmuSupported() {
                return gpuMmu;
            }

            public boolean ioMmuSecureModeSupported() {
                return false;
            }

            public boolean ioMmuSecureModeRequired() {
                return false;
            }

            public long apertureSegmentCommitLimit() {
                return 64L << 20;
            }

            public Class<? extends Annotation> annotationType() {
                return kmd.reference.internal.ReferenceKmdConfig.class;
            }
        };
    }
}
