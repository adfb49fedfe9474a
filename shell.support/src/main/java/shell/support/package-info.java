/**
 * Argument parsing and output formatting shared by the Gogo commands of the model's bundles, so
 * that every command spells addresses, sizes and data the same way and names bad input alike.
 */
@Version("1.0.0")
@Export
package shell.support;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
