using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>
    /// Where control leaves a body: the <c>return</c> statement, or the closing brace when it falls off the end.
    /// The CFG keeps no trace of a valueless <c>return;</c>, so it is found from the syntax around the branch.
    /// </summary>
    internal static class ExitLocations
    {
        public static Location Of(BasicBlock source, ControlFlowBranch branch, SyntaxNode body)
        {
            if (branch.Semantics == ControlFlowBranchSemantics.Return && source.BranchValue is { } value)
            {
                return value.Syntax.Parent is ReturnStatementSyntax ret ? ret.GetLocation() : value.Syntax.GetLocation();
            }

            if (source.BranchValue?.Syntax.Parent is IfStatementSyntax ifStatement && source.ConditionKind != ControlFlowConditionKind.None)
            {
                var trueBranch = source.ConditionKind == ControlFlowConditionKind.WhenTrue ? source.ConditionalSuccessor : source.FallThroughSuccessor;
                var taken = ReferenceEquals(branch, trueBranch) ? ifStatement.Statement : ifStatement.Else?.Statement;
                if (ReturnIn(taken) is { } conditionalReturn)
                {
                    return conditionalReturn.GetLocation();
                }
            }

            if (source.Operations.LastOrDefault()?.Syntax is { } last && Statement(last) is { } statement && Next(statement) is ReturnStatementSyntax { Expression: null } next)
            {
                return next.GetLocation();
            }

            return End(body);
        }

        /// <summary>The block ends in a <c>throw</c> written in the source (statement or expression), not one the compiler made.</summary>
        public static bool IsExplicitThrow(BasicBlock source)
        {
            if (source.BranchValue is not { } value)
            {
                return false;
            }

            for (var node = value.Syntax; node is not null && node is not StatementSyntax; node = node.Parent)
            {
                if (node is ThrowExpressionSyntax)
                {
                    return true;
                }
            }

            return value.Syntax.Parent is ThrowStatementSyntax;
        }

        /// <summary>The <c>throw</c> that leaves the body from <paramref name="source"/> (statement or expression).</summary>
        public static Location OfThrow(BasicBlock source, SyntaxNode body)
        {
            for (var node = source.BranchValue?.Syntax; node is not null; node = node.Parent)
            {
                if (node is ThrowStatementSyntax or ThrowExpressionSyntax)
                {
                    return node.GetLocation();
                }
            }

            // A rethrow (`throw;`) has no value: it is the throw statement after the block's last operation.
            if (source.Operations.LastOrDefault()?.Syntax is { } last && Statement(last) is { } statement && Next(statement) is ThrowStatementSyntax rethrow)
            {
                return rethrow.GetLocation();
            }

            var any = body.DescendantNodes().OfType<ThrowStatementSyntax>().FirstOrDefault(t => t.Expression is null);
            return any?.GetLocation() ?? End(body);
        }

        /// <summary>The closing brace of a block body, or the expression of an expression body.</summary>
        public static Location End(SyntaxNode body)
        {
            var block = body as BlockSyntax ?? body.ChildNodes().OfType<BlockSyntax>().LastOrDefault();
            if (block is not null)
            {
                return block.CloseBraceToken.GetLocation();
            }

            var arrow = body as ArrowExpressionClauseSyntax ?? body.ChildNodes().OfType<ArrowExpressionClauseSyntax>().FirstOrDefault();
            if (arrow is not null)
            {
                return arrow.Expression.GetLocation();
            }

            return body is AnonymousFunctionExpressionSyntax { ExpressionBody: { } expression } ? expression.GetLocation() : body.GetLocation();
        }

        private static ReturnStatementSyntax? ReturnIn(StatementSyntax? statement) => statement switch
        {
            ReturnStatementSyntax ret => ret,
            BlockSyntax { Statements.Count: > 0 } block when block.Statements[block.Statements.Count - 1] is ReturnStatementSyntax last && block.Statements.Count == 1 => last,
            _ => null,
        };

        private static StatementSyntax? Statement(SyntaxNode node)
        {
            for (var current = node; current is not null; current = current.Parent)
            {
                if (current is StatementSyntax statement)
                {
                    return statement;
                }
            }

            return null;
        }

        private static StatementSyntax? Next(StatementSyntax statement)
        {
            var siblings = statement.Parent switch
            {
                BlockSyntax block => block.Statements,
                SwitchSectionSyntax section => section.Statements,
                _ => default(SyntaxList<StatementSyntax>),
            };
            var index = siblings.IndexOf(statement);
            return index >= 0 && index + 1 < siblings.Count ? siblings[index + 1] : null;
        }
    }
}
