/// A digest of a value's `Encodable` form that is the same in every process (Swift's `Hasher` is
/// seeded anew per process): FNV-1a over each key and value in encoding order. Cheaper than
/// hashing a printed description, and it covers every field a type encodes, new ones included.
public struct StableDigest {
    public static func of<T: Encodable>(_ value: T) -> UInt64 {
        let sink = Sink()
        try? value.encode(to: DigestEncoder(sink: sink))
        return sink.hash
    }

    final class Sink {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ bytes: some Sequence<UInt8>) {
            var h = hash
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            hash = h
        }
        func add(_ s: String) {
            add(s.utf8)
            add(CollectionOfOne(0xff))
        }
        func add<I: FixedWidthInteger>(_ v: I) { withUnsafeBytes(of: v.littleEndian) { add($0) } }
    }

    struct DigestEncoder: Encoder {
        let sink: Sink
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            sink.add("{")
            return KeyedEncodingContainer(Keyed<Key>(sink: sink))
        }
        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            sink.add("[")
            return Unkeyed(sink: sink)
        }
        func singleValueContainer() -> any SingleValueEncodingContainer { Single(sink: sink) }
    }

    struct Single: SingleValueEncodingContainer {
        let sink: Sink
        var codingPath: [any CodingKey] { [] }
        mutating func encodeNil() { sink.add("nil") }
        mutating func encode(_ value: Bool) { sink.add(value ? 1 as UInt8 : 0) }
        mutating func encode(_ value: String) { sink.add(value) }
        mutating func encode(_ value: Double) { sink.add(value.bitPattern) }
        mutating func encode(_ value: Float) { sink.add(value.bitPattern) }
        mutating func encode(_ value: Int) { sink.add(Int64(value)) }
        mutating func encode(_ value: Int8) { sink.add(Int64(value)) }
        mutating func encode(_ value: Int16) { sink.add(Int64(value)) }
        mutating func encode(_ value: Int32) { sink.add(Int64(value)) }
        mutating func encode(_ value: Int64) { sink.add(value) }
        mutating func encode(_ value: UInt) { sink.add(UInt64(value)) }
        mutating func encode(_ value: UInt8) { sink.add(UInt64(value)) }
        mutating func encode(_ value: UInt16) { sink.add(UInt64(value)) }
        mutating func encode(_ value: UInt32) { sink.add(UInt64(value)) }
        mutating func encode(_ value: UInt64) { sink.add(value) }
        mutating func encode<T: Encodable>(_ value: T) throws { try value.encode(to: DigestEncoder(sink: sink)) }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let sink: Sink
        var codingPath: [any CodingKey] { [] }
        mutating func encodeNil(forKey key: Key) {
            sink.add(key.stringValue)
            sink.add("nil")
        }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            sink.add(key.stringValue)
            var single = Single(sink: sink)
            try single.encode(value)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey>
        {
            sink.add(key.stringValue)
            return DigestEncoder(sink: sink).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            sink.add(key.stringValue)
            return DigestEncoder(sink: sink).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { DigestEncoder(sink: sink) }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            sink.add(key.stringValue)
            return DigestEncoder(sink: sink)
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let sink: Sink
        var codingPath: [any CodingKey] { [] }
        var count = 0
        mutating func encodeNil() {
            count += 1
            sink.add("nil")
        }
        mutating func encode<T: Encodable>(_ value: T) throws {
            count += 1
            var single = Single(sink: sink)
            try single.encode(value)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
            -> KeyedEncodingContainer<NestedKey>
        {
            count += 1
            return DigestEncoder(sink: sink).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            count += 1
            return DigestEncoder(sink: sink).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { DigestEncoder(sink: sink) }
    }
}
