using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace DriverSafety.Analyzers.Contracts.Annotations
{
    /// <summary>
    /// One <c>DriverSafety.Annotations.txt</c> (or <c>DriverSafety.Annotations.*.txt</c>) additional file: one member per
    /// line, its documentation-comment id then its attributes written as in C#
    /// (<c>M:Vendor.Hw.Ring.Push(Vendor.Hw.Item) [Requires("this.Lock")]</c>); <c>param:name</c> after a method's id
    /// addresses its parameter; <c>#</c> at the start of a line or after whitespace starts a comment. Each attribute is
    /// parsed with the C# parser and its arguments evaluated against the attribute's constructor and properties, as the
    /// compiler would; a line that does not parse, names an unknown attribute, has a bad argument or an id that does not
    /// resolve is a DRV9005 at that line and contributes nothing.
    /// </summary>
    internal sealed class ExternalAnnotationFile
    {
        public const string FileName = "DriverSafety.Annotations.txt";

        /// <summary>Longer lines are not parsed (a DRV9005): no contract needs them, and they bound the parser's work.</summary>
        public const int MaxLineLength = 4096;

        private const string Prefix = "DriverSafety.Annotations.";
        private const string Placeholder = "__DriverSafetyAnnotatedLine";

        private ExternalAnnotationFile(string path, ImmutableArray<(ISymbol Symbol, Annotation Annotation)> entries, ImmutableArray<ISymbol> annotated, ImmutableArray<Diagnostic> problems)
        {
            Path = path;
            Entries = entries;
            Annotated = annotated;
            Problems = problems;
        }

        public string Path { get; }

        /// <summary>The annotations the file's good lines give, in line order.</summary>
        public ImmutableArray<(ISymbol Symbol, Annotation Annotation)> Entries { get; }

        /// <summary>The members whose contracts the file's good lines contribute to (a parameter's method, for a parameter), in line order.</summary>
        public ImmutableArray<ISymbol> Annotated { get; }

        /// <summary>The DRV9005 findings of the file, in line order.</summary>
        public ImmutableArray<Diagnostic> Problems { get; }

        /// <summary><c>DriverSafety.Annotations.txt</c> or <c>DriverSafety.Annotations.*.txt</c>, by file name.</summary>
        public static bool IsAnnotationsFile(string? path)
        {
            if (path is null)
            {
                return false;
            }

            var name = System.IO.Path.GetFileName(path);
            return string.Equals(name, FileName, StringComparison.OrdinalIgnoreCase) ||
                (name.Length > Prefix.Length + ".txt".Length &&
                 name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) &&
                 name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase));
        }

        public static ExternalAnnotationFile Read(AdditionalText file, Compilation compilation, CancellationToken cancellation)
        {
            var path = file.Path ?? string.Empty;
            var entries = ImmutableArray.CreateBuilder<(ISymbol, Annotation)>();
            var annotated = new List<ISymbol>();
            var problems = ImmutableArray.CreateBuilder<Diagnostic>();
            var text = file.GetText(cancellation);
            if (text is null)
            {
                return new ExternalAnnotationFile(path, entries.ToImmutable(), ImmutableArray<ISymbol>.Empty, problems.ToImmutable());
            }

            var reader = new LineReader(path, text, compilation);
            foreach (var line in text.Lines)
            {
                cancellation.ThrowIfCancellationRequested();
                var problem = reader.ReadLine(line, out var lineEntries, out var owner);
                if (problem is not null)
                {
                    problems.Add(Diagnostic.Create(Descriptors.ExternalAnnotationMalformed, reader.LineLocation(line), System.IO.Path.GetFileName(path),
                        (line.LineNumber + 1).ToString(CultureInfo.InvariantCulture), problem));
                    continue;
                }

                entries.AddRange(lineEntries);
                annotated.AddRange(owner);
            }

            return new ExternalAnnotationFile(path, entries.ToImmutable(), annotated.Distinct<ISymbol>(SymbolEqualityComparer.Default).ToImmutableArray(), problems.ToImmutable());
        }

        /// <summary>Reads the lines of one file.</summary>
        private sealed class LineReader
        {
            private readonly string _path;
            private readonly SourceText _text;
            private readonly Compilation _compilation;

            public LineReader(string path, SourceText text, Compilation compilation)
            {
                _path = path;
                _text = text;
                _compilation = compilation;
            }

            public Location LineLocation(TextLine line)
            {
                var content = _text.ToString(line.Span);
                var start = 0;
                while (start < content.Length && char.IsWhiteSpace(content[start]))
                {
                    start++;
                }

                var end = content.Length;
                while (end > start && char.IsWhiteSpace(content[end - 1]))
                {
                    end--;
                }

                return At(new TextSpan(line.Start + start, end - start));
            }

            private Location At(TextSpan span) => Location.Create(_path, span, _text.Lines.GetLinePositionSpan(span));

            /// <summary>Reads one line; returns the reason it is malformed, or null (a blank or comment line gives no entries).</summary>
            public string? ReadLine(TextLine line, out List<(ISymbol, Annotation)> entries, out List<ISymbol> owners)
            {
                entries = new List<(ISymbol, Annotation)>();
                owners = new List<ISymbol>();
                if (line.Span.Length > MaxLineLength)
                {
                    return $"the line is longer than {MaxLineLength} characters";
                }

                var raw = _text.ToString(line.Span);
                var content = raw.Substring(0, CommentStart(raw)).TrimEnd();
                var start = 0;
                while (start < content.Length && char.IsWhiteSpace(content[start]))
                {
                    start++;
                }

                if (content.Trim().Length == 0)
                {
                    return null;
                }

                var idEnd = start;
                while (idEnd < content.Length && !char.IsWhiteSpace(content[idEnd]))
                {
                    idEnd++;
                }

                var id = content.Substring(start, idEnd - start);
                if (id.StartsWith("[", StringComparison.Ordinal))
                {
                    return "the line starts with an attribute; write the member's documentation-comment id first ('M:Ns.Type.Method(System.Int32) [MightSleep]')";
                }

                if (id.Length < 3 || id[1] != ':' || "TMFPE".IndexOf(id[0]) < 0)
                {
                    return $"'{Shorten(id)}' is not a documentation-comment id of a type, method, field, property or event ('T:', 'M:', 'F:', 'P:' or 'E:')";
                }

                var position = Skip(content, idEnd);
                string? parameterName = null;
                if (string.CompareOrdinal(content, position, "param:", 0, "param:".Length) == 0)
                {
                    var nameStart = position + "param:".Length;
                    var nameEnd = nameStart;
                    while (nameEnd < content.Length && !char.IsWhiteSpace(content[nameEnd]) && content[nameEnd] != '[')
                    {
                        nameEnd++;
                    }

                    parameterName = content.Substring(nameStart, nameEnd - nameStart);
                    if (parameterName.Length == 0)
                    {
                        return "'param:' names no parameter";
                    }

                    position = Skip(content, nameEnd);
                }

                if (position >= content.Length)
                {
                    return $"no attributes after '{Shorten(id)}'";
                }

                var attributes = ParseAttributes(content.Substring(position), out var problem);
                if (attributes is null)
                {
                    return problem;
                }

                var symbols = Resolve(id, out problem);
                if (symbols.IsEmpty)
                {
                    return problem;
                }

                foreach (var member in symbols)
                {
                    var target = member;
                    if (parameterName is not null)
                    {
                        if (member is not IMethodSymbol method)
                        {
                            return $"'param:{parameterName}' follows '{Shorten(id)}', which is not a method";
                        }

                        var parameter = method.Parameters.FirstOrDefault(p => p.Name == parameterName);
                        if (parameter is null)
                        {
                            return $"'{method.Name}' has no parameter named '{Shorten(parameterName)}'";
                        }

                        target = parameter;
                    }

                    foreach (var attribute in attributes)
                    {
                        var annotation = Bind(attribute, target, line.Start + position, out problem);
                        if (annotation is null)
                        {
                            return problem;
                        }

                        entries.Add((target, annotation));
                    }

                    owners.Add(member);
                }

                return null;
            }

            private static int Skip(string s, int i)
            {
                while (i < s.Length && char.IsWhiteSpace(s[i]))
                {
                    i++;
                }

                return i;
            }

            /// <summary>Where a comment starts: a '#' at the start of the line or after whitespace, outside a string literal.</summary>
            private static int CommentStart(string line)
            {
                var inString = false;
                var verbatim = false;
                for (var i = 0; i < line.Length; i++)
                {
                    var c = line[i];
                    if (inString)
                    {
                        if (c == '\\' && !verbatim)
                        {
                            i++;
                        }
                        else if (c == '"')
                        {
                            if (verbatim && i + 1 < line.Length && line[i + 1] == '"')
                            {
                                i++;
                            }
                            else
                            {
                                inString = false;
                            }
                        }
                    }
                    else if (c == '"')
                    {
                        inString = true;
                        verbatim = i > 0 && line[i - 1] == '@';
                    }
                    else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
                    {
                        return i;
                    }
                }

                return line.Length;
            }

            private static string Shorten(string s) => s.Length <= 80 ? s : s.Substring(0, 77) + "...";

            /// <summary>The attributes of the text after the id, parsed as the attribute lists of a declaration.</summary>
            private static List<AttributeSyntax>? ParseAttributes(string text, out string? problem)
            {
                problem = null;
                if (!text.StartsWith("[", StringComparison.Ordinal))
                {
                    problem = $"expected attributes in brackets after the id, found '{Shorten(text)}' (an id contains no spaces)";
                    return null;
                }

                var unit = SyntaxFactory.ParseCompilationUnit(text + "\nclass " + Placeholder + " { }");
                var error = unit.GetDiagnostics().FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
                if (error is not null)
                {
                    problem = "the attributes do not parse: " + error.GetMessage(CultureInfo.InvariantCulture);
                    return null;
                }

                if (unit.AttributeLists.Count > 0 || unit.Usings.Count > 0 || unit.Externs.Count > 0 ||
                    unit.Members.Count != 1 || unit.Members[0] is not ClassDeclarationSyntax declaration ||
                    declaration.Identifier.ValueText != Placeholder || declaration.Modifiers.Count > 0 ||
                    declaration.Keyword.SpanStart < text.Length || declaration.AttributeLists.Count == 0 ||
                    unit.DescendantTrivia().Any(t => t.IsKind(SyntaxKind.MultiLineCommentTrivia) || t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsDirective))
                {
                    problem = "the text after the id is not a sequence of attribute lists ('[A] [B(\"x\")]' or '[A, B]')";
                    return null;
                }

                if (declaration.AttributeLists.FirstOrDefault(l => l.Target is not null) is { } targeted)
                {
                    problem = $"attribute target '{targeted.Target!.Identifier.ValueText}:' is not supported; a parameter is addressed as 'param:name' after the method's id";
                    return null;
                }

                return declaration.AttributeLists.SelectMany(l => l.Attributes).ToList();
            }

            private ImmutableArray<ISymbol> Resolve(string id, out string? problem)
            {
                problem = null;
                ImmutableArray<ISymbol> symbols;
                try
                {
                    symbols = DocumentationCommentId.GetSymbolsForDeclarationId(id, _compilation);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A hostile id must not take the analysis down: it is a DRV9005 like any id that names nothing.
                    symbols = ImmutableArray<ISymbol>.Empty;
                }

                symbols = symbols.IsDefault ? ImmutableArray<ISymbol>.Empty : symbols.Where(s => s is not null && s.Kind != SymbolKind.Namespace).Select(s => s.OriginalDefinition).Distinct<ISymbol>(SymbolEqualityComparer.Default).ToImmutableArray();
                if (symbols.IsEmpty)
                {
                    problem = $"'{Shorten(id)}' does not resolve to a member of this compilation or its references";
                }

                return symbols;
            }

            private Annotation? Bind(AttributeSyntax syntax, ISymbol target, int offset, out string? problem)
            {
                problem = null;
                var name = AttributeName(syntax.Name);
                if (name is null)
                {
                    problem = $"'{Shorten(syntax.Name.ToString())}' is not a DriverSafety attribute name";
                    return null;
                }

                var attributeClass = _compilation.GetTypeByMetadataName("DriverSafety." + name + "Attribute") ??
                    (name.EndsWith("Attribute", StringComparison.Ordinal) ? _compilation.GetTypeByMetadataName("DriverSafety." + name) : null);
                if (attributeClass is null)
                {
                    problem = $"unknown attribute '{Shorten(name)}': there is no DriverSafety.{Shorten(name)}Attribute";
                    return null;
                }

                var shortName = attributeClass.Name.EndsWith("Attribute", StringComparison.Ordinal) ? attributeClass.Name.Substring(0, attributeClass.Name.Length - "Attribute".Length) : attributeClass.Name;
                if (!ValidOn(attributeClass, target))
                {
                    problem = $"[{shortName}] cannot be applied to {Describe(target)}";
                    return null;
                }

                var arguments = syntax.ArgumentList?.Arguments ?? default;
                var positional = new List<ExpressionSyntax>();
                var named = ImmutableArray.CreateBuilder<KeyValuePair<string, AnnotationValue>>();
                foreach (var argument in arguments)
                {
                    if (argument.NameColon is not null)
                    {
                        problem = $"[{shortName}]: named constructor argument '{argument.NameColon.Name.Identifier.ValueText}:' is not supported; write the arguments in order";
                        return null;
                    }

                    if (argument.NameEquals is null)
                    {
                        if (named.Count > 0)
                        {
                            problem = $"[{shortName}]: a positional argument follows a named one";
                            return null;
                        }

                        positional.Add(argument.Expression);
                        continue;
                    }

                    var property = argument.NameEquals.Name.Identifier.ValueText;
                    var propertyType = SettableMember(attributeClass, property);
                    if (propertyType is null)
                    {
                        problem = $"[{shortName}] has no settable property '{Shorten(property)}'";
                        return null;
                    }

                    if (named.Any(p => p.Key == property))
                    {
                        problem = $"[{shortName}]: property '{property}' is set twice";
                        return null;
                    }

                    var value = Evaluate(argument.Expression, propertyType, out problem);
                    if (value is null)
                    {
                        problem = $"[{shortName}]: {property}: {problem}";
                        return null;
                    }

                    named.Add(new KeyValuePair<string, AnnotationValue>(property, value.Value));
                }

                var constructorArguments = BindConstructor(attributeClass, positional, out problem);
                if (constructorArguments is null)
                {
                    problem = $"[{shortName}]: {problem}";
                    return null;
                }

                var span = new TextSpan(offset + syntax.SpanStart, syntax.Span.Length);
                return new Annotation(attributeClass, constructorArguments.Value, named.ToImmutable(), null, At(span), isExternal: true);
            }

            /// <summary>The attribute's simple name: <c>Name</c>, <c>DriverSafety.Name</c> or <c>global::DriverSafety.Name</c>.</summary>
            private static string? AttributeName(NameSyntax name)
            {
                switch (name)
                {
                    case IdentifierNameSyntax identifier:
                        return identifier.Identifier.ValueText;
                    case QualifiedNameSyntax qualified when qualified.Right is IdentifierNameSyntax right && IsDriverSafety(qualified.Left):
                        return right.Identifier.ValueText;
                    default:
                        return null;
                }
            }

            private static bool IsDriverSafety(NameSyntax name) => name switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText == "DriverSafety",
                AliasQualifiedNameSyntax alias => alias.Alias.Identifier.ValueText == "global" && alias.Name is IdentifierNameSyntax { Identifier.ValueText: "DriverSafety" },
                _ => false,
            };

            private static ITypeSymbol? SettableMember(INamedTypeSymbol attributeClass, string name)
            {
                for (var type = attributeClass; type is not null; type = type.BaseType)
                {
                    foreach (var member in type.GetMembers(name))
                    {
                        switch (member)
                        {
                            case IPropertySymbol { IsStatic: false, SetMethod: { DeclaredAccessibility: Accessibility.Public } } property when property.DeclaredAccessibility == Accessibility.Public:
                                return property.Type;
                            case IFieldSymbol { IsStatic: false, IsReadOnly: false, IsConst: false, DeclaredAccessibility: Accessibility.Public } field:
                                return field.Type;
                        }
                    }
                }

                return null;
            }

            /// <summary>The constructor the arguments bind to (normal form, then expanded <c>params</c> form), as the compiler would choose it.</summary>
            private ImmutableArray<AnnotationValue>? BindConstructor(INamedTypeSymbol attributeClass, List<ExpressionSyntax> arguments, out string? problem)
            {
                problem = null;
                string? firstProblem = null;
                var constructors = attributeClass.InstanceConstructors
                    .Where(c => c.DeclaredAccessibility == Accessibility.Public)
                    .OrderBy(c => c.Parameters.Length)
                    .ThenBy(c => c.ToDisplayString(), StringComparer.Ordinal)
                    .ToList();
                foreach (var constructor in constructors)
                {
                    string? reason = null;
                    foreach (var expanded in new[] { false, true })
                    {
                        var bound = TryBind(constructor, arguments, expanded, out var why);
                        if (bound is not null)
                        {
                            return bound;
                        }

                        // The expanded form's reason names the element ("not a constant string"), the more useful one.
                        reason = expanded ? why ?? reason : why;
                    }

                    firstProblem ??= reason;
                }

                problem = constructors.Count == 1 && firstProblem is not null
                    ? firstProblem
                    : $"no constructor takes {arguments.Count} argument{(arguments.Count == 1 ? string.Empty : "s")} of these types" + (firstProblem is null ? string.Empty : " (" + firstProblem + ")");
                return null;
            }

            private ImmutableArray<AnnotationValue>? TryBind(IMethodSymbol constructor, List<ExpressionSyntax> arguments, bool expanded, out string? problem)
            {
                problem = null;
                var parameters = constructor.Parameters;
                var values = ImmutableArray.CreateBuilder<AnnotationValue>();
                if (expanded)
                {
                    if (parameters.IsEmpty || !parameters[parameters.Length - 1].IsParams || parameters[parameters.Length - 1].Type is not IArrayTypeSymbol array ||
                        arguments.Count < parameters.Length - 1)
                    {
                        return null;
                    }

                    for (var i = 0; i < parameters.Length - 1; i++)
                    {
                        var value = Evaluate(arguments[i], parameters[i].Type, out problem);
                        if (value is null)
                        {
                            return null;
                        }

                        values.Add(value.Value);
                    }

                    var elements = ImmutableArray.CreateBuilder<AnnotationValue>();
                    for (var i = parameters.Length - 1; i < arguments.Count; i++)
                    {
                        var value = Evaluate(arguments[i], array.ElementType, out problem);
                        if (value is null)
                        {
                            return null;
                        }

                        elements.Add(value.Value);
                    }

                    values.Add(new AnnotationValue(TypedConstantKind.Array, array, null, elements.ToImmutable()));
                    return values.ToImmutable();
                }

                if (arguments.Count > parameters.Length)
                {
                    problem = $"too many arguments ({arguments.Count})";
                    return null;
                }

                for (var i = 0; i < parameters.Length; i++)
                {
                    if (i >= arguments.Count)
                    {
                        if (!parameters[i].HasExplicitDefaultValue)
                        {
                            problem = $"argument '{parameters[i].Name}' is missing";
                            return null;
                        }

                        values.Add(new AnnotationValue(parameters[i].Type.TypeKind == TypeKind.Enum ? TypedConstantKind.Enum : TypedConstantKind.Primitive, parameters[i].Type, parameters[i].ExplicitDefaultValue, default));
                        continue;
                    }

                    var value = Evaluate(arguments[i], parameters[i].Type, out problem);
                    if (value is null)
                    {
                        return null;
                    }

                    values.Add(value.Value);
                }

                return values.ToImmutable();
            }

            /// <summary>A constant of <paramref name="type"/>: a string, bool or integer literal, an enum member, an array of them, or null.</summary>
            private AnnotationValue? Evaluate(ExpressionSyntax expression, ITypeSymbol type, out string? problem)
            {
                problem = null;
                while (expression is ParenthesizedExpressionSyntax parenthesized)
                {
                    expression = parenthesized.Expression;
                }

                var display = type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
                if (expression.IsKind(SyntaxKind.NullLiteralExpression))
                {
                    if (type is IArrayTypeSymbol)
                    {
                        return new AnnotationValue(TypedConstantKind.Array, type, null, default);
                    }

                    if (type.IsReferenceType)
                    {
                        return new AnnotationValue(TypedConstantKind.Primitive, type, null, default);
                    }

                    problem = $"null is not a {display}";
                    return null;
                }

                if (type is IArrayTypeSymbol arrayType)
                {
                    var initializer = expression switch
                    {
                        ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer,
                        ArrayCreationExpressionSyntax explicitArray => explicitArray.Initializer,
                        _ => null,
                    };
                    if (initializer is null)
                    {
                        problem = $"'{Shorten(expression.ToString())}' is not a {display} (write 'new[] {{ ... }}' or the elements themselves)";
                        return null;
                    }

                    if (expression is ArrayCreationExpressionSyntax { Type: var elementSyntax } &&
                        (elementSyntax.RankSpecifiers.Count != 1 || elementSyntax.RankSpecifiers[0].Sizes.Any(s => s is not OmittedArraySizeExpressionSyntax) ||
                         elementSyntax.ElementType.ToString() != arrayType.ElementType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)))
                    {
                        problem = $"'{Shorten(expression.ToString())}' is not a {display}";
                        return null;
                    }

                    var elements = ImmutableArray.CreateBuilder<AnnotationValue>();
                    foreach (var element in initializer.Expressions)
                    {
                        var value = Evaluate(element, arrayType.ElementType, out problem);
                        if (value is null)
                        {
                            return null;
                        }

                        elements.Add(value.Value);
                    }

                    return new AnnotationValue(TypedConstantKind.Array, type, null, elements.ToImmutable());
                }

                if (type.TypeKind == TypeKind.Enum && type is INamedTypeSymbol enumType)
                {
                    var bits = EnumValue(expression, enumType, out problem);
                    if (bits is null)
                    {
                        return null;
                    }

                    if (ConvertIntegral(bits.Value, enumType.EnumUnderlyingType?.SpecialType ?? SpecialType.System_Int32) is not { } enumValue)
                    {
                        problem = $"'{Shorten(expression.ToString())}' is out of the range of {enumType.Name}";
                        return null;
                    }

                    return new AnnotationValue(TypedConstantKind.Enum, type, enumValue, default);
                }

                switch (type.SpecialType)
                {
                    case SpecialType.System_String when expression is LiteralExpressionSyntax { Token.Value: string s } && expression.IsKind(SyntaxKind.StringLiteralExpression):
                        return new AnnotationValue(TypedConstantKind.Primitive, type, s, default);
                    case SpecialType.System_Boolean when expression.IsKind(SyntaxKind.TrueLiteralExpression) || expression.IsKind(SyntaxKind.FalseLiteralExpression):
                        return new AnnotationValue(TypedConstantKind.Primitive, type, expression.IsKind(SyntaxKind.TrueLiteralExpression), default);
                    case SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16 or SpecialType.System_UInt16 or
                        SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64:
                        if (Integer(expression) is { } integer && ConvertIntegral(integer, type.SpecialType) is { } boxed)
                        {
                            return new AnnotationValue(TypedConstantKind.Primitive, type, boxed, default);
                        }

                        break;
                }

                problem = $"'{Shorten(expression.ToString())}' is not a constant {display}";
                return null;
            }

            /// <summary>An enum constant: <c>Kind.Member</c> (optionally namespace-qualified) or members joined by '|'.</summary>
            private static decimal? EnumValue(ExpressionSyntax expression, INamedTypeSymbol enumType, out string? problem)
            {
                problem = null;
                while (expression is ParenthesizedExpressionSyntax parenthesized)
                {
                    expression = parenthesized.Expression;
                }

                if (expression is BinaryExpressionSyntax binary && binary.IsKind(SyntaxKind.BitwiseOrExpression))
                {
                    var left = EnumValue(binary.Left, enumType, out problem);
                    var right = left is null ? null : EnumValue(binary.Right, enumType, out problem);
                    return left is null || right is null ? null : (decimal)unchecked(Bits(left.Value) | Bits(right.Value));
                }

                if (expression is MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } access &&
                    NamesType(access.Expression, enumType) &&
                    enumType.GetMembers(access.Name.Identifier.ValueText).OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue) is { } field &&
                    Integer(field.ConstantValue) is { } value)
                {
                    return value;
                }

                problem = $"'{Shorten(expression.ToString())}' is not a member of {enumType.Name} (write {enumType.Name}.Member)";
                return null;
            }

            /// <summary>The two's-complement bits of an enum member's value (every integer type's values fit in a long's or a ulong's).</summary>
            private static long Bits(decimal value) => value < 0 ? (long)value : unchecked((long)(ulong)value);

            /// <summary><c>Kind</c>, <c>DriverSafety.Kind</c>, <c>global::DriverSafety.Kind</c>: the type's name, optionally with its full namespace.</summary>
            private static bool NamesType(ExpressionSyntax expression, INamedTypeSymbol type)
            {
                var text = string.Concat(expression.ToString().Where(c => !char.IsWhiteSpace(c)));
                if (text.StartsWith("global::", StringComparison.Ordinal))
                {
                    text = text.Substring("global::".Length);
                }

                return text == type.Name || text == type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty);
            }

            private static decimal? Integer(ExpressionSyntax expression)
            {
                if (expression is PrefixUnaryExpressionSyntax unary && unary.IsKind(SyntaxKind.UnaryMinusExpression))
                {
                    return Integer(unary.Operand) is { } operand ? -operand : null;
                }

                return expression is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.NumericLiteralExpression) ? Integer(literal.Token.Value) : null;
            }

            private static decimal? Integer(object? value) => value switch
            {
                int i => i,
                uint u => u,
                long l => l,
                ulong ul => ul,
                short s => s,
                ushort us => us,
                byte b => b,
                sbyte sb => sb,
                _ => null,
            };

            private static object? ConvertIntegral(decimal value, SpecialType type)
            {
                if (value != decimal.Truncate(value))
                {
                    return null;
                }

                return type switch
                {
                    SpecialType.System_SByte when value >= sbyte.MinValue && value <= sbyte.MaxValue => (sbyte)value,
                    SpecialType.System_Byte when value >= byte.MinValue && value <= byte.MaxValue => (byte)value,
                    SpecialType.System_Int16 when value >= short.MinValue && value <= short.MaxValue => (short)value,
                    SpecialType.System_UInt16 when value >= ushort.MinValue && value <= ushort.MaxValue => (ushort)value,
                    SpecialType.System_Int32 when value >= int.MinValue && value <= int.MaxValue => (int)value,
                    SpecialType.System_UInt32 when value >= uint.MinValue && value <= uint.MaxValue => (uint)value,
                    SpecialType.System_Int64 when value >= long.MinValue && value <= long.MaxValue => (long)value,
                    SpecialType.System_UInt64 when value >= ulong.MinValue && value <= ulong.MaxValue => (ulong)value,
                    _ => null,
                };
            }

            /// <summary>The attribute's <c>AttributeUsage</c> admits the symbol, as the compiler's CS0592 check would.</summary>
            private static bool ValidOn(INamedTypeSymbol attributeClass, ISymbol target)
            {
                var validOn = (int)AttributeTargets.All;
                for (var type = attributeClass; type is not null; type = type.BaseType)
                {
                    var usage = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "System.AttributeUsageAttribute");
                    if (usage is not null)
                    {
                        if (usage.ConstructorArguments.Length == 1 && usage.ConstructorArguments[0].Value is int flags)
                        {
                            validOn = flags;
                        }

                        break;
                    }
                }

                var needed = target switch
                {
                    IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } => AttributeTargets.Constructor,
                    IMethodSymbol => AttributeTargets.Method,
                    IPropertySymbol => AttributeTargets.Property,
                    IFieldSymbol => AttributeTargets.Field,
                    IEventSymbol => AttributeTargets.Event,
                    IParameterSymbol => AttributeTargets.Parameter,
                    INamedTypeSymbol { TypeKind: TypeKind.Class } => AttributeTargets.Class,
                    INamedTypeSymbol { TypeKind: TypeKind.Struct } => AttributeTargets.Struct,
                    INamedTypeSymbol { TypeKind: TypeKind.Enum } => AttributeTargets.Enum,
                    INamedTypeSymbol { TypeKind: TypeKind.Interface } => AttributeTargets.Interface,
                    INamedTypeSymbol { TypeKind: TypeKind.Delegate } => AttributeTargets.Delegate,
                    _ => (AttributeTargets)0,
                };
                return needed != 0 && (validOn & (int)needed) != 0;
            }

            private static string Describe(ISymbol symbol) => symbol switch
            {
                IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } => $"constructor '{symbol.ContainingType?.Name}'",
                IMethodSymbol => $"method '{symbol.Name}'",
                IPropertySymbol => $"property '{symbol.Name}'",
                IFieldSymbol => $"field '{symbol.Name}'",
                IEventSymbol => $"event '{symbol.Name}'",
                IParameterSymbol => $"parameter '{symbol.Name}'",
                INamedTypeSymbol type => $"{type.TypeKind.ToString().ToLowerInvariant()} '{symbol.Name}'",
                _ => $"'{symbol.Name}'",
            };
        }
    }
}
