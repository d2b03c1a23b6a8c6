// A downstream Java service reading form4-stream's records with nothing but Apache Avro and
// the Kafka client: single-object encoding (0xC3 0x01 + CRC-64-AVRO fingerprint) decoded by
// the schema file, logical types (decimal, date, timestamp-millis) converted by Avro itself.
// Prints one JSON object per record. Run: java -cp CLASSPATH ReadTransactions.java
//   BOOTSTRAP TOPIC SCHEMA.avsc COUNT TIMEOUT_SECONDS
import java.io.File;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.avro.Conversions;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class ReadTransactions {
  public static void main(String[] args) throws Exception {
    Schema schema = new Schema.Parser().parse(new File(args[2]));
    GenericData model = new GenericData();
    model.addLogicalTypeConversion(new Conversions.DecimalConversion());
    model.addLogicalTypeConversion(new TimeConversions.DateConversion());
    model.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
    BinaryMessageDecoder<GenericRecord> decoder = new BinaryMessageDecoder<>(model, schema);

    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("group.id", "java-reader-" + UUID.randomUUID());
    props.put("auto.offset.reset", "earliest");
    props.put("isolation.level", "read_committed");
    props.put("enable.auto.commit", "false");
    int wanted = Integer.parseInt(args[3]);
    long deadline = System.currentTimeMillis() + 1000L * Long.parseLong(args[4]);
    int seen = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(args[1]));
      while (seen < wanted && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> message : consumer.poll(Duration.ofMillis(500))) {
          StringBuilder out = new StringBuilder();
          write(out, decoder.decode(message.value()));
          System.out.println(out);
          seen++;
        }
      }
    }
  }

  static void write(StringBuilder out, Object value) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof GenericRecord record) {
      out.append('{');
      for (Schema.Field field : record.getSchema().getFields()) {
        if (field.pos() > 0) out.append(',');
        string(out, field.name());
        out.append(':');
        write(out, record.get(field.pos()));
      }
      out.append('}');
    } else if (value instanceof Collection<?> items) {
      out.append('[');
      boolean first = true;
      for (Object item : items) {
        if (!first) out.append(',');
        first = false;
        write(out, item);
      }
      out.append(']');
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (!first) out.append(',');
        first = false;
        string(out, entry.getKey().toString());
        out.append(':');
        write(out, entry.getValue());
      }
      out.append('}');
    } else if (value instanceof BigDecimal number) {
      string(out, number.stripTrailingZeros().toPlainString());
    } else if (value instanceof LocalDate || value instanceof Instant) {
      string(out, value.toString());
    } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
      out.append(value);
    } else if (value instanceof CharSequence text) {
      string(out, text.toString());
    } else {
      throw new IllegalStateException("a generic reader got " + value.getClass());
    }
  }

  static void string(StringBuilder out, String text) {
    out.append('"');
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    out.append('"');
  }
}
