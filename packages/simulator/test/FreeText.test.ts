import { fc, test } from "@fast-check/vitest"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { FreeText, WordProblem } from "../src/index.js"

const runs = process.env["CI"] ? 300 : 100

/** Hand-written problems in many phrasings, each with the answer a person would compute. */
const phrasings: ReadonlyArray<readonly [string, number]> = [
  ["A farmer has 17 sheep and buys 5 more. How many sheep?", 22],
  ["A farmer has seventeen sheep. He buys five more. How many sheep does he have now?", 22],
  ["Mia has 12 apples. She gives away 3 apples. How many apples does Mia have left?", 9],
  ["Liam had 40 marbles. He lost 7 marbles at school and then found 4 more on the way home. How many marbles does he have?", 37],
  ["Zoe has 6 stickers. Her brother has twice as many stickers as Zoe. How many stickers does her brother have?", 12],
  ["There are 24 cookies in a jar. Tom splits them equally among 4 friends. How many cookies does each friend get?", 6],
  ["Sam buys 4 notebooks and each costs $3. How much does Sam spend?", 12],
  ["A baker bakes 3 dozen muffins. She sells 20 of them. How many muffins are left?", 16],
  ["Nora has 15 dollars. She earns 10 dollars more, then spends 8 dollars on lunch. How much money does she have?", 17],
  ["A library has 120 books. It lends out 45 books and receives 30 new books. How many books does the library have now?", 105],
  ["Kai collects 9 shells on Monday and 14 shells on Tuesday. How many shells does he collect in total?", 23],
  ["Ava has 50 stamps. She gives 12 stamps to her cousin. How many stamps does Ava have now?", 38],
  ["Hugo has 8 toy cars. His grandmother gives him 5 more. How many toy cars does Hugo have?", 13],
  ["A class has 30 students. 6 students leave and 4 new students join. How many students are in the class?", 28],
  ["Maya picked 18 strawberries. She ate 5 and gave away 6. How many strawberries does Maya have left?", 7],
  ["Ivan has 7 boxes with 6 pencils in each box. How many pencils does Ivan have?", 42],
  ["Elsa has 36 beads. She divides them into 4 equal groups. How many beads are in each group?", 9],
  ["Theo has 20 cards. He doubles his collection, then gives 5 cards to a friend. How many cards does Theo have?", 35],
  ["Iris saves $5 every week for 6 weeks. How much money does she save?", 30],
  ["A store had 200 apples. It sold 75 apples in the morning and 60 apples in the afternoon. How many apples were left?", 65],
  ["Ravi reads 12 pages a day for 5 days. How many pages does he read?", 60],
  ["A bus has 25 passengers. At the first stop 8 people get off and 5 get on. How many passengers are on the bus now?", 22],
  ["There are 9 birds on a tree. 4 more birds land on it and then 6 fly away. How many birds are on the tree?", 7],
  ["Noah has 3 bags of marbles. Each bag holds 15 marbles. He loses 7 marbles. How many marbles does he have?", 38],
  ["Lena bakes 48 cookies and packs them into boxes of 6. How many boxes does she fill?", 8],
  ["A school orders 14 boxes of chalk. Each box contains 12 sticks. How many sticks of chalk are there?", 168],
  ["Omar had $90. He spent $25 on a book and $15 on a game. How much money does he have left?", 50],
  ["A farmer collects 156 eggs and puts them into cartons of 12. How many cartons does he need?", 13],
  ["A box has two hundred nails. A carpenter uses 85 nails. How many nails are left?", 115],
  ["Twenty-five children are at a party. Seven more arrive. How many children are at the party?", 32],
  ["Hugo has 64 stickers. He gives half of them to his sister. How many stickers does he have now?", 32],
  ["Nora buys 3 packs of gum. There are 5 pieces in each pack. She chews 4 pieces. How many pieces are left?", 11],
  ["Lily earns $12 per hour. She works for 5 hours. How much does she earn?", 60],
  ["Sara had 23 balloons. 8 of them popped. How many balloons does Sara have?", 15],
  ["Ben has 5 fish. He buys 3 more fish and then the number of fish triples. How many fish does Ben have?", 24],
  ["A shop has 18 shirts. It receives a shipment of 2 dozen shirts. How many shirts does the shop have?", 42],
  ["Grace has 11 pens. Her friend gives her 4 pens, and her teacher gives her 2 more. How many pens does Grace have?", 17],
  ["A jar contains 60 marbles. Ali takes away 15 marbles and adds 9 marbles. How many marbles are in the jar?", 54],
  ["Leo's dog had 6 puppies. Leo gave 2 puppies to his neighbor. How many puppies does Leo have now?", 4],
  ["Ella has 7 red balloons and 5 blue balloons. 3 balloons pop. How many balloons does she have?", 9],
  ["A farmer has 12 cows. Each cow gives 9 liters of milk. How many liters of milk does he get?", 108],
  ["Mark had 3 boxes of 10 pencils. He gave away 7 pencils. How many pencils does he have?", 23],
  ["Anna has 9 dolls and Beth has 4 more dolls than Anna. How many dolls does Beth have?", 13],
  ["Olivia had 18 cupcakes. She ate two and gave half of the rest to her friends. How many cupcakes does she have now?", 8],
  ["There were 45 people on a train. At the station, 12 got off and 20 got on. How many people are on the train now?", 53],
  ["A baker made 96 rolls and put them equally into 8 baskets. How many rolls are in each basket?", 12],
  ["Max has $14. His mom gives him $6. He then buys a toy for $9. How much money does Max have?", 11],
  ["Zara had 5 goldfish. The goldfish had babies and now there are 3 times as many. How many goldfish are there?", 15],
  ["A kangaroo jumps 8 feet on each hop. It hops 12 times. How far does it go?", 96],
  ["A farmer has 17 sheep. How many sheep does he have if he buys 5 more?", 22],
  ["Pens cost $3 each. Sam buys 4 pens. How much does he spend?", 12],
  ["Tom had one hundred dollars. He paid $30 for a jacket, then his aunt gave him $25. How much money does Tom have?", 95],
  ["A tank holds 80 liters of water. 35 liters leak out. How many liters are in the tank?", 45],
  ["A farm had 30 rabbits. 6 of them ran away and 9 were born. How many rabbits does the farm have?", 33],
  ["Jo has 1,200 coins, loses 200 coins, and then splits the rest into 5 equal piles. How many coins are in each pile?", 200],
  ["Ana has 12 apples. She gives away 5, and then the number of apples grows to 3 times as many. How many apples?", 21],
  ["Ana has 12 apples. She gives away 5 and now has 3 times as many as before. How many apples?", 21]
]

/** Texts the simulator cannot model: each gets the typed error. */
const refused: ReadonlyArray<string> = [
  "What is the capital of France?",
  "Prove that the square root of 2 is irrational.",
  "Solve x^2 + 3x - 10 = 0.",
  "If a train travels 60 miles per hour, how long does it take to travel 180 miles?",
  "A rectangle has a length of 8 and a width of 5. What is its area?",
  "Tom is 3 years older than his sister, who is 9. How old is Tom?",
  "What is 15% of 80?",
  "Sam has some apples. He buys 5 more. How many apples does he have?",
  "A number is doubled and then 7 is added to it. The result is 31. What is the number?",
  "Tell me a joke.",
  "The cost of 3 pens is $4.50. How much is one pen?",
  "Mia has 4 times as many stickers as Noah. Noah has 7 stickers. How many stickers does Mia have?",
  "How many legs do 5 spiders have?",
  "A pizza is cut into 8 slices. Four friends eat 2 slices each. How many slices are left?",
  "Kai had 63 stamps. He gave one third of them away. How many stamps does he have?",
  "Anna has 9 dolls. Beth has 4 more dolls than Anna. How many dolls do they have together?",
  "Jake has 45 candies. He shares them with his friends. How many candies does each friend get?",
  "Sam has 17 marbles and gives away 4. How many more marbles does he need to have 20?",
  "Chloe had $50. She bought 3 books for $12 each. How much money does she have left?",
  "Lee has 10 dollars. He earns 5 dollars a day for 3 days. How much money does he have?",
  "Dan has 7 apples. He splits them into 2 equal piles and keeps one. How many apples are in a pile?",
  // Buying three times what one has adds (7 + 21 = 28): a transfer of a multiple, not a multiplication.
  "Ana has 12 apples. She gives away 5 and then buys 3 times as many as she has left. How many apples?",
  "Tom has 8 marbles. He wins 2 times as many marbles. How many marbles does he have?",
  "Ana has 12 apples. She adds 3 times as many as she has. How many apples?",
  "Ana has 12 cookies. She bakes 3 times as many as she has. How many cookies?",
  "Ana has 12 pens. She orders 2 times as many as she has. How many pens?",
  "Ana has 12 shells. She gathers 4 times as many as she has. How many shells?",
  ""
]

const parsed = (text: string) => {
  const result = FreeText.parse(text)
  if (Result.isFailure(result)) throw new Error(`not parsed: ${text} — ${result.failure.reason}`)
  return result.success
}

describe("FreeText.parse", () => {
  it.each(phrasings)("%s → %i", (text, answer) => {
    const problem = parsed(text)
    expect(problem.answer).toBe(answer)
    expect(problem.values[problem.values.length - 1]).toBe(answer)
    expect(problem.question).toBe(text.trim())
    expect(problem.difficulty).toBe(WordProblem.difficultyOf(problem.operations.length))
  })

  it("reads the operations of a problem in order, with their operands", () => {
    const problem = parsed("Liam had 40 marbles. He lost 7 marbles at school and then found 3 more. Then he splits them into 3 equal piles and keeps one. How many marbles does he have?")
    expect(problem.start).toBe(40)
    expect(problem.operations).toEqual([
      { kind: "subtract", operand: 7 },
      { kind: "add", operand: 3 },
      { kind: "divide", operand: 3 }
    ])
    expect(problem.values).toEqual([40, 33, 36, 12])
  })

  it.each(refused)("refuses %j with a typed one-line error saying what the simulator can do", (text) => {
    const result = FreeText.parse(text)
    expect(Result.isFailure(result)).toBe(true)
    if (Result.isFailure(result)) {
      expect(result.failure._tag).toBe("NotModelled")
      expect(result.failure.reason.length).toBeGreaterThan(0)
      expect(result.failure.message).not.toContain("\n")
      expect(result.failure.message).toContain(result.failure.reason)
      expect(result.failure.message).toContain("--endpoint URL --model NAME")
      expect(result.failure.message).toContain("--gguf PATH")
    }
  })

  test.prop([fc.integer({ min: 1, max: 5 }), fc.integer()], { numRuns: runs })(
    "reads every question the world generates back to the same problem (structure, chain, answer, trap)",
    (difficulty, seed) => {
      const generated = WordProblem.generate(difficulty, seed)
      expect(parsed(generated.question)).toEqual(generated)
    }
  )
})
