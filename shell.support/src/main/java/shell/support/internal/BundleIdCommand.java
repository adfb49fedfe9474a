package shell.support.internal;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * {@code bundle:id NAME}: the id of the bundle with that symbolic name, for Felix's {@code start},
 * which takes ids (or URLs to install) but not names: {@code start (bundle:id iommu.hw)}. Pages and
 * scripts name bundles, never an id that changes with what was installed before.
 */
@Component(service = BundleIdCommand.class, property = {"osgi.command.scope=bundle", "osgi.command.function=id"})
public final class BundleIdCommand {
    private final BundleContext context;

    @Activate
    public BundleIdCommand(BundleContext context) {
        this.context = context;
    }

    @Descriptor("the id of the bundle with a symbolic name, as start takes it: start (bundle:id NAME)")
    public long id(@Descriptor("the bundle's symbolic name, as lb -s lists it") String name) {
        long found = -1;
        for (Bundle b : context.getBundles()) {
            if (name.equals(b.getSymbolicName())) {
                if (found >= 0) {
                    throw new IllegalArgumentException("more than one bundle is named '" + name + "': lb -s " + name
                            + " lists their ids");
                }
                found = b.getBundleId();
            }
        }
        if (found < 0) {
            throw new IllegalArgumentException("no bundle is named '" + name + "' (lb -s lists the symbolic names)");
        }
        return found;
    }
}
