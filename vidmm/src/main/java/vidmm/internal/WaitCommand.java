package vidmm.internal;

import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Function;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code vidmm:wait CONTEXT FENCE [MILLIS]}. Gogo looks a command up by method name, and every
 * object has Object's {@code wait()} and {@code wait(long)}: typed with one argument or none, it
 * called those ("current thread is not owner"). As a {@link Function} this command parses its own
 * arguments; the {@code wait} methods are there for {@code help}.
 */
@Component(service = WaitCommand.class, property = {"osgi.command.scope=vidmm", "osgi.command.function=wait"})
public final class WaitCommand implements Function {
    private final ContextCommands commands;

    @Activate
    public WaitCommand(@Reference ContextCommands commands) {
        this.commands = commands;
    }

    @Override
    public Object execute(CommandSession session, List<Object> arguments) {
        List<String> args = arguments.stream().map(String::valueOf).toList();
        return switch (args.size()) {
            case 2 -> wait(args.get(0), args.get(1));
            case 3 -> wait(args.get(0), args.get(1), args.get(2));
            default -> throw new IllegalArgumentException("usage: vidmm:wait CONTEXT FENCE [MILLIS] (" + args.size()
                    + " argument" + (args.size() == 1 ? "" : "s") + " given)");
        };
    }

    @Descriptor("waits up to 5 s for a context's fence; prints completed, timed out or device in error")
    public String wait(@Descriptor("context handle, as vidmm:context printed it") String context,
                       @Descriptor("fence value, as vidmm:submit printed it") String fence) {
        return commands.waitForFence(context, fence, Long.toString(ContextCommands.SUBMIT_WAIT_MILLIS));
    }

    @Descriptor("waits for a context's fence; prints completed, timed out or device in error")
    public String wait(@Descriptor("context handle, as vidmm:context printed it") String context,
                       @Descriptor("fence value, as vidmm:submit printed it") String fence,
                       @Descriptor("milliseconds to wait at most (0: just look)") String millis) {
        return commands.waitForFence(context, fence, millis);
    }
}
