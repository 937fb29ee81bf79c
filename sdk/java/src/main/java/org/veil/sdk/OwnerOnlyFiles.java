package org.veil.sdk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Writes files readable by their owner alone (package-private). */
final class OwnerOnlyFiles {
    static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");

    private OwnerOnlyFiles() {}

    /**
     * Writes {@code data} to {@code path}, replacing it: the bytes go to a
     * temporary file of the same directory created with mode 0600 (never
     * readable by others, not even briefly), synced, then renamed over
     * {@code path}.
     */
    static void write(Path path, byte[] data) throws IOException {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        String prefix = "." + abs.getFileName() + ".";
        Path tmp;
        try {
            FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(OWNER_RW);
            tmp = Files.createTempFile(dir, prefix, ".tmp", attr);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: the platform's default for temporary files.
            tmp = Files.createTempFile(dir, prefix, ".tmp");
        }
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(data);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
