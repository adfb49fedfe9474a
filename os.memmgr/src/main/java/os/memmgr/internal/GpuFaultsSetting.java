package os.memmgr.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

import os.memmgr.GpuFaultPolicy;
import os.memmgr.MemoryManager;

/**
 * Applies the configured GPU fault policy ({@link GpuFaultsConfig}) to the memory manager, at its
 * start and at every change. A value that is neither policy is reported in one line and changes
 * nothing. A change reactivates the component (no modified method): SCR reports it active with the
 * new configuration only once its constructor applied it, so {@code config:set}, which waits for
 * that, returns after the policy changed, never between SCR taking the change and applying it.
 */
@Component(immediate = true, configurationPid = GpuFaultsConfig.PID)
@Designate(ocd = GpuFaultsConfig.class)
public final class GpuFaultsSetting {
    private static final System.Logger LOG = System.getLogger(GpuFaultsSetting.class.getName());

    private final MemoryManager os;

    @Activate
    public GpuFaultsSetting(@Reference MemoryManager os, GpuFaultsConfig config) {
        this.os = os;
        apply(config);
    }

    private void apply(GpuFaultsConfig config) {
        GpuFaultPolicy policy;
        try {
            policy = GpuFaultPolicy.parse(config.policy());
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.ERROR, "configuration " + GpuFaultsConfig.PID + ": " + e.getMessage()
                    + "; the policy stays " + os.gpuFaultPolicy().label());
            return;
        }
        os.setGpuFaultPolicy(policy);
    }
}
