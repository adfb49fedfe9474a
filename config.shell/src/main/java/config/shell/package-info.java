/** What {@code config:set} asks of other bundles before it changes a configuration. */
@Version("1.0.0")
@Export
package config.shell;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
