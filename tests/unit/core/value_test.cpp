#include "core/value.hpp"

#include <catch2/catch.hpp>

using namespace qiao;

TEST_CASE("objects keep insertion order and replace in place", "[value]") {
  Object o;
  o.set("b", 1);
  o.set("a", 2);
  o.set("b", 3);
  REQUIRE(o.size() == 2);
  auto it = o.begin();
  CHECK(it->first == "b");
  CHECK(it->second.as_int() == 3);
  ++it;
  CHECK(it->first == "a");
  CHECK(o.erase("b"));
  CHECK_FALSE(o.erase("b"));
  CHECK(o.find("b") == nullptr);
}

TEST_CASE("find_path walks objects and arrays", "[value]") {
  Value v(Object{{"patient", Value(Object{{"names", Value(Array{Value("张三"), Value("Zhang San")})}})}});
  REQUIRE(v.find_path("patient.names.1") != nullptr);
  CHECK(v.find_path("patient.names.1")->as_string() == "Zhang San");
  CHECK(v.find_path("patient.names.2") == nullptr);
  CHECK(v.find_path("patient.names.x") == nullptr);
  CHECK(v.find_path("patient.age") == nullptr);
  CHECK(v.find_path("")->is_object());
}

TEST_CASE("borrowed text keeps its buffer alive", "[value]") {
  Text borrowed;
  {
    Buffer buffer = make_buffer("a long string that is borrowed, not copied");
    borrowed = Text::borrow(buffer, std::string_view(*buffer).substr(2, 11));
  }
  CHECK(borrowed.is_borrowed());
  CHECK(borrowed.view() == "long string");
  Value copy = Value(borrowed);
  CHECK(copy == Value("long string"));
}

TEST_CASE("numbers convert to double and keep their type", "[value]") {
  CHECK(Value(Decimal{"12.50"}).to_double() == Approx(12.5));
  CHECK(Value(Decimal{"12.50"}).is_decimal());
  CHECK(Value(std::int64_t{7}).to_double() == 7.0);
  CHECK(type_name(Value(1.5).type()) == "number");
  CHECK(Value(Decimal{"1.0"}) != Value(Decimal{"1.00"}));
}
