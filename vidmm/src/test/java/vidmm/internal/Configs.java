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
}
