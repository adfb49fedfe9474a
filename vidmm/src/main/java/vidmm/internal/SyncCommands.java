package vidmm.internal;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import shell.support.Args;
import vidmm.ContextInfo;
import vidmm.SyncObjectInfo;
import vidmm.VidMm;

/** Gogo commands for monitored fences (synchronization objects), scope {@code vidmm}. */
@Component(service = SyncCommands.class, property = {
        "osgi.command.scope=vidmm",
        "osgi.command.function=sync",
        "osgi.command.function=syncs",
        "osgi.command.function=signal",
        "osgi.command.function=gpuwait",
        "osgi.command.function=cpusignal",
        "osgi.command.function=cpuwait"})
public final class SyncCommands {
    private final VidMm vidmm;

    @Activate
    public SyncCommands(@Reference VidMm vidmm) {
        this.vidmm = vidmm;
    }

    @Descriptor("D3DKMTCreateSynchronizationObject2: a monitored fence of the device's process; prints its handle and where its value lives")
    public String sync(@Descriptor("device handle, as vidmm:device printed it") String device) {
        SyncObjectInfo s = vidmm.syncObject(vidmm.createSynchronizationObject(Args.number("DEVICE", device)));
        return String.format("sync 0x%x of pid %d, value at VA 0x%x", s.handle(), s.pid(), s.va());
    }

    @Descriptor("monitored fences: handle, pid, VA of the value, value reached")
    public String syncs() {
        List<SyncObjectInfo> list = vidmm.syncObjects();
        if (list.isEmpty()) {
            return "no synchronization objects";
        }
        return "sync     pid  va          value\n" + list.stream()
                .map(s -> String.format("0x%-5x  %-3d  0x%-8x  %d", s.handle(), s.pid(), s.va(), s.value()))
                .collect(Collectors.joining("\n"));
    }

    @Descriptor("SignalSynchronizationObjectFromGpu: the context sets the value once its earlier work completed; prints the signal's fence")
    public String signal(@Descriptor("context handle, as vidmm:context printed it") String context,
                         @Descriptor("synchronization object, as vidmm:sync printed it") String sync,
                         @Descriptor("the value, 1 or more") String value) {
        long c = Args.number("CONTEXT", context);
        long fence = vidmm.signalFromGpu(c, Args.number("SYNC", sync), Args.number("VALUE", value));
        ContextInfo info = vidmm.contextInfo(c);
        return String.format("fence %d on %s (context 0x%x) signals %s to %s", fence, info.node(), c, sync, value);
    }

    @Descriptor("WaitForSynchronizationObjectFromGpu: the context runs nothing submitted after this until the value is reached")
    public String gpuwait(@Descriptor("context handle, as vidmm:context printed it") String context,
                          @Descriptor("synchronization object, as vidmm:sync printed it") String sync,
                          @Descriptor("the value to wait for, 1 or more") String value) {
        vidmm.waitFromGpu(Args.number("CONTEXT", context), Args.number("SYNC", sync), Args.number("VALUE", value));
        return "context " + context + " waits for " + sync + " to reach " + value;
    }

    @Descriptor("SignalSynchronizationObjectFromCpu: the value is set now")
    public String cpusignal(@Descriptor("synchronization object, as vidmm:sync printed it") String sync,
                            @Descriptor("the value, 1 or more") String value) {
        vidmm.signalFromCpu(Args.number("SYNC", sync), Args.number("VALUE", value));
        return "signalled";
    }

    @Descriptor("WaitForSynchronizationObjectFromCpu for up to 5 s: prints completed, timed out or device in error")
    public String cpuwait(@Descriptor("synchronization object, as vidmm:sync printed it") String sync,
                          @Descriptor("the value to wait for") String value) {
        return cpuwait(sync, value, "5000");
    }

    @Descriptor("WaitForSynchronizationObjectFromCpu: prints completed, timed out or device in error (the object was destroyed)")
    public String cpuwait(@Descriptor("synchronization object, as vidmm:sync printed it") String sync,
                          @Descriptor("the value to wait for") String value,
                          @Descriptor("milliseconds to wait at most (0: just look)") String millis) {
        return ContextCommands.words(vidmm.waitFromCpu(Args.number("SYNC", sync), Args.number("VALUE", value),
                Args.number("MILLIS", millis)));
    }
}
