#pragma once
// The message the hl7v2 and hl7v2-xml benchmarks measure: a typical ORU^R01 lab result from the
// LIS (PID, PV1, ORC, OBR and 20 OBX, ~2.5 KB of ER7, UTF-8, Chinese names and results).

#include <string>

namespace qiao::bench {

inline std::string oru_r01_er7() {
  static const char* const items[][5] = {
      {"WBC", "白细胞计数", "10*9/L", "3.5-9.5", "6.42"}, {"RBC", "红细胞计数", "10*12/L", "4.3-5.8", "4.87"},
      {"HGB", "血红蛋白", "g/L", "130-175", "148"},       {"PLT", "血小板计数", "10*9/L", "125-350", "231"},
      {"GLU", "葡萄糖", "mmol/L", "3.9-6.1", "5.62"},     {"ALT", "丙氨酸氨基转移酶", "U/L", "9-50", "27.3"},
      {"CREA", "肌酐", "umol/L", "57-111", "84.1"},       {"K", "钾", "mmol/L", "3.5-5.3", "4.15"},
  };
  std::string s =
      "MSH|^~\\&|LIS|LAB01|HIS|HOSP01|20261120101500||ORU^R01^ORU_R01|LAB20261120001|P|2.5|||AL|NE||UNICODE UTF-8\r"
      "PID|1||100234^^^HOSP01^MR~110101199003071234^^^CHN^NNCHN||张^三^^^^^L||19900307|M|||北京市朝阳区建国路88号^^"
      "北京^^100022^CN||^PRN^PH^^^^13800138000\r"
      "PV1|1|O|OPD^^^HOSP01||||D1234^李^四|||MED\r"
      "ORC|RE|ORD0001^HIS|LAB0001^LIS||CM\r"
      "OBR|1|ORD0001^HIS|LAB0001^LIS|CBC^血常规^L|||20261120090000|||||||20261120091000|静脉血|D1234^李^四\r";
  for (int i = 0; i < 20; ++i) {
    const auto& item = items[i % 8];
    s += "OBX|" + std::to_string(i + 1) + "|NM|" + item[0] + "^" + item[1] + "^L||" + item[4] + "|" + item[2] + "|" +
         item[3] + "|" + (i % 5 == 0 ? "H" : "N") + "|||F|||20261120100000||王五^检验师\r";
  }
  s += "NTE|1|L|复查结果与前次一致\\.br\\请结合临床 \\T\\ 随访\r";
  return s;
}

}  // namespace qiao::bench
