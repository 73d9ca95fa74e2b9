// Apache Avro (Java) side of the interop test. For each <name>.avsc in the folder given:
//  - decodes <name>.python.bin (single-object bytes written by our Python codec) with
//    BinaryMessageDecoder, writes the record as text to <name>.java.txt and re-encodes it with
//    BinaryMessageEncoder into <name>.java-roundtrip.bin;
//  - reads <name>.avro.json (Avro JSON encoding) and writes it single-object encoded by Java
//    into <name>.java-from-json.bin;
//  - if <name>.resolve.bin exists (written with another version of the same record), decodes it
//    as <name> through schema resolution and re-encodes it into <name>.java-resolved.bin.
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;

public class AvroInterop {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    List<Schema> all = new ArrayList<>();
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.avsc")) {
      for (Path file : files) {
        all.add(new Schema.Parser().parse(file.toFile()));
        names.add(file.getFileName().toString().replaceAll("\\.avsc$", ""));
      }
    }
    for (int i = 0; i < all.size(); i++) {
      Schema schema = all.get(i);
      String name = names.get(i);
      BinaryMessageDecoder<GenericRecord> decoder = new BinaryMessageDecoder<>(GenericData.get(), schema);
      for (Schema other : all) {
        if (other != schema && other.getFullName().equals(schema.getFullName())) {
          decoder.addSchema(other);
        }
      }
      BinaryMessageEncoder<GenericRecord> encoder = new BinaryMessageEncoder<>(GenericData.get(), schema);

      GenericRecord fromPython = decoder.decode(Files.readAllBytes(dir.resolve(name + ".python.bin")));
      Files.writeString(dir.resolve(name + ".java.txt"), fromPython.toString(), StandardCharsets.UTF_8);
      Files.write(dir.resolve(name + ".java-roundtrip.bin"), bytes(encoder.encode(fromPython)));

      String json = Files.readString(dir.resolve(name + ".avro.json"), StandardCharsets.UTF_8);
      GenericRecord fromJson = new GenericDatumReader<GenericRecord>(schema)
          .read(null, DecoderFactory.get().jsonDecoder(schema, json));
      Files.write(dir.resolve(name + ".java-from-json.bin"), bytes(encoder.encode(fromJson)));

      Path resolve = dir.resolve(name + ".resolve.bin");
      if (Files.exists(resolve)) {
        GenericRecord resolved = decoder.decode(Files.readAllBytes(resolve));
        Files.write(dir.resolve(name + ".java-resolved.bin"), bytes(encoder.encode(resolved)));
      }
    }
    System.out.println("decoded " + all.size() + " schemas");
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }
}
