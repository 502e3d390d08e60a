using System.Text;

namespace MLNet.StepDistill.T5;

/// <summary>
/// The few parts of a SentencePiece <c>ModelProto</c> (protobuf) the T5 tokenizer needs: each piece and its type,
/// and the special ids of the trainer spec. Also repairs the one thing Microsoft.ML.Tokenizers 2.0.1 cannot load.
/// </summary>
internal sealed class SentencePieceModelFile
{
    // ModelProto: 1 = repeated SentencePiece pieces, 2 = TrainerSpec trainer_spec.
    // SentencePiece: 1 = piece, 3 = type. TrainerSpec: 40..43 = unk/bos/eos/pad id, 45..48 = unk/bos/eos/pad piece.
    private const int PiecesField = 1;
    private const int TrainerSpecField = 2;
    private const int BosIdField = 41;
    private const int BosPieceField = 46;

    private SentencePieceModelFile(byte[] bytes)
    {
        Bytes = bytes;
    }

    /// <summary>The type of a piece, as in <c>sentencepiece_model.proto</c>.</summary>
    public enum PieceType
    {
        /// <summary>An ordinary piece.</summary>
        Normal = 1,

        /// <summary>The unknown piece.</summary>
        Unknown = 2,

        /// <summary>A control symbol (pad, eos, bos): never produced from text, invisible when decoding.</summary>
        Control = 3,

        /// <summary>A user-defined symbol.</summary>
        UserDefined = 4,

        /// <summary>An unused piece.</summary>
        Unused = 5,

        /// <summary>A byte-fallback piece.</summary>
        Byte = 6,
    }

    public byte[] Bytes { get; }

    public List<(string Piece, PieceType Type)> Pieces { get; } = [];

    public int UnkId { get; private set; }

    public int BosId { get; private set; } = 1;

    public int EosId { get; private set; } = 2;

    public int PadId { get; private set; } = -1;

    public string BosPiece { get; private set; } = "<s>";

    public string EosPiece { get; private set; } = "</s>";

    public string PadPiece { get; private set; } = "<pad>";

    /// <exception cref="InvalidDataException">Not a SentencePiece model; the message names the file.</exception>
    public static SentencePieceModelFile Parse(byte[] bytes, string source)
    {
        var model = new SentencePieceModelFile(bytes);
        try
        {
            var reader = new Reader(bytes, 0, bytes.Length);
            while (!reader.AtEnd)
            {
                var (field, wire) = reader.Tag();
                if (field == PiecesField && wire == 2)
                {
                    model.Pieces.Add(ParsePiece(reader.Bytes()));
                }
                else if (field == TrainerSpecField && wire == 2)
                {
                    model.ParseTrainerSpec(reader.Bytes());
                }
                else
                {
                    reader.Skip(wire);
                }
            }
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or InvalidDataException or OverflowException)
        {
            throw new InvalidDataException($"{source}: not a SentencePiece model ({ex.Message}).", ex);
        }

        if (model.Pieces.Count == 0 || model.UnkId < 0 || model.UnkId >= model.Pieces.Count || model.EosId >= model.Pieces.Count || model.PadId >= model.Pieces.Count)
        {
            throw new InvalidDataException($"{source}: not a usable SentencePiece model (no pieces, or special ids outside the vocabulary).");
        }

        return model;
    }

    /// <summary>
    /// The model bytes Microsoft.ML.Tokenizers 2.0.1 can load. Its unigram loader indexes its piece table with
    /// bos_id, so T5's models (bos_id = -1) throw IndexOutOfRangeException. Protobuf merges a repeated message field,
    /// so appending a second trainer_spec that only sets bos_id/bos_piece to an existing control piece (pad, else
    /// eos) repairs it; the tokenizer is only ever asked not to add BOS, so the alias is never emitted.
    /// </summary>
    public byte[] ForMicrosoftTokenizer()
    {
        if (BosId >= 0)
        {
            return Bytes;
        }

        var (aliasId, aliasPiece) = PadId >= 0 ? (PadId, PadPiece) : (EosId, EosPiece);
        var spec = new List<byte>();
        WriteVarint(spec, (ulong)(BosIdField << 3));
        WriteVarint(spec, (ulong)aliasId);
        var piece = Encoding.UTF8.GetBytes(aliasPiece);
        WriteVarint(spec, (ulong)((BosPieceField << 3) | 2));
        WriteVarint(spec, (ulong)piece.Length);
        spec.AddRange(piece);

        var patched = new List<byte>(Bytes);
        WriteVarint(patched, (TrainerSpecField << 3) | 2);
        WriteVarint(patched, (ulong)spec.Count);
        patched.AddRange(spec);
        return patched.ToArray();
    }

    private static (string, PieceType) ParsePiece(ArraySegment<byte> bytes)
    {
        var reader = new Reader(bytes.Array!, bytes.Offset, bytes.Offset + bytes.Count);
        var piece = "";
        var type = PieceType.Normal;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.Tag();
            if (field == 1 && wire == 2)
            {
                piece = Encoding.UTF8.GetString(reader.Bytes());
            }
            else if (field == 3 && wire == 0)
            {
                type = (PieceType)(int)reader.Varint();
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return (piece, type);
    }

    private void ParseTrainerSpec(ArraySegment<byte> bytes)
    {
        var reader = new Reader(bytes.Array!, bytes.Offset, bytes.Offset + bytes.Count);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.Tag();
            switch (field)
            {
                case 40 when wire == 0: UnkId = (int)(long)reader.Varint(); break;
                case 41 when wire == 0: BosId = (int)(long)reader.Varint(); break;
                case 42 when wire == 0: EosId = (int)(long)reader.Varint(); break;
                case 43 when wire == 0: PadId = (int)(long)reader.Varint(); break;
                case 46 when wire == 2: BosPiece = Encoding.UTF8.GetString(reader.Bytes()); break;
                case 47 when wire == 2: EosPiece = Encoding.UTF8.GetString(reader.Bytes()); break;
                case 48 when wire == 2: PadPiece = Encoding.UTF8.GetString(reader.Bytes()); break;
                default: reader.Skip(wire); break;
            }
        }
    }

    private static void WriteVarint(List<byte> output, ulong value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }

        output.Add((byte)value);
    }

    /// <summary>A protobuf wire-format reader over a byte range.</summary>
    private sealed class Reader(byte[] data, int position, int end)
    {
        private int position = position;

        public bool AtEnd => position >= end;

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Next();
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return value;
                }
            }

            throw new InvalidDataException("varint longer than 10 bytes");
        }

        public ArraySegment<byte> Bytes()
        {
            var length = checked((int)Varint());
            if (length < 0 || position + length > end)
            {
                throw new InvalidDataException("a length-delimited field runs past the end");
            }

            var segment = new ArraySegment<byte>(data, position, length);
            position += length;
            return segment;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: Advance(8); break;
                case 2: Bytes(); break;
                case 5: Advance(4); break;
                default: throw new InvalidDataException($"unsupported wire type {wire}");
            }
        }

        private byte Next()
        {
            if (position >= end)
            {
                throw new InvalidDataException("unexpected end of data");
            }

            return data[position++];
        }

        private void Advance(int count)
        {
            if (position + count > end)
            {
                throw new InvalidDataException("unexpected end of data");
            }

            position += count;
        }
    }
}
